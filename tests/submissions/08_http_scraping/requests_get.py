# expect-fail: test_fetch_page_returns_status_and_body: It made a blocking call, requests
# expect-fail: test_fetch_pages_runs_all_at_once_without_limit: It made a blocking call, requests
# expect-fail: test_fetch_pages_respects_the_limit: the event loop is frozen
import asyncio

import aiohttp
import requests


async def fetch_page(session, url, timeout):
    try:
        response = requests.get(url, timeout=timeout)
        return {"url": url, "status": response.status_code, "body": response.text}
    except Exception as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(fetch_page(session, url, timeout) for url in urls))
