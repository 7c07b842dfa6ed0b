# expect-fail: test_fetch_pages_respects_the_limit: A new Semaphore per fetch limits nothing
# expect-pass: test_fetch_pages_runs_all_at_once_without_limit
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    async with aiohttp.ClientSession() as session:

        async def limited(url):
            async with asyncio.Semaphore(limit or 1000):
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(limited(url) for url in urls))
