"""Exercise 08, reference solution."""

import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    """GET `url` with `session`, giving up after `timeout` seconds; never raise for one URL."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    """Fetch every URL with one session, at most `limit` at a time; results in the order of `urls`."""
    slots = asyncio.Semaphore(limit) if limit else None

    async with aiohttp.ClientSession() as session:

        async def one(url):
            if slots is None:
                return await fetch_page(session, url, timeout)
            async with slots:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
