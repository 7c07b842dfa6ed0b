# expect-fail: test_fetch_page_gives_up_after_timeout: It raised TimeoutError
# expect-fail: test_fetch_pages_records_every_failure: one URL's timeout stopped the whole call
# visible-fail: test_fetch_page_gives_up_after_its_timeout: Saw it raise TimeoutError after 2 s
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except aiohttp.ClientError as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    semaphore = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with semaphore:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
