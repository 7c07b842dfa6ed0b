# expect-fail: test_fetch_page_gives_up_after_timeout: It returned after 60 s: the 2 s timeout never applied
# expect-fail: test_fetch_pages_times_out_each_request: the 3 s timeout never applied
# visible-fail: test_fetch_page_gives_up_after_its_timeout: after 60 s: the 2 s timeout never applied
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    semaphore = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with semaphore:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
