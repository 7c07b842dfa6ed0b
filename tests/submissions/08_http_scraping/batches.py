# expect-fail: test_fetch_pages_keeps_the_limit_busy: Waiting for a whole batch of 3
# expect-pass: test_fetch_pages_respects_the_limit
# visible-fail: test_fetch_pages_starts_the_next_page_as_one_finishes: still waited
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    size = limit or len(urls) or 1
    results = []
    async with aiohttp.ClientSession() as session:
        for first in range(0, len(urls), size):
            batch = urls[first:first + size]
            results += await asyncio.gather(*(fetch_page(session, url, timeout) for url in batch))
    return results
