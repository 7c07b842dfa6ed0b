"""Exercise 08: fetch many web pages at once with aiohttp.

Read README.md in this folder first. Each result is a dict:

    {"url": url, "status": 200, "body": "<html>..."}     the server answered (any status)
    {"url": url, "error": <the exception>}               no answer: refused, timed out, ...
"""

import asyncio  # you will need it

import aiohttp


async def fetch_page(session, url, timeout):
    """GET `url` with `session` (an aiohttp.ClientSession you are given; don't close it).

    Give up after `timeout` seconds. Return {"url", "status", "body"} for any answer,
    404 and 500 included, or {"url", "error"} when there is none. Never raise for one URL.
    """
    # TODO: request the page with a time limit, read its status and text, catch failures.
    raise NotImplementedError


async def fetch_pages(urls, limit=None, timeout=10.0):
    """Fetch every URL at the same time with ONE aiohttp.ClientSession, closed at the end.

    At most `limit` requests in flight at once (None: no limit). Each request gets
    `timeout` seconds. Return one result per URL, in the order of `urls`.
    """
    # TODO: open one session, run fetch_page for every URL at once (within the limit), close it.
    raise NotImplementedError
