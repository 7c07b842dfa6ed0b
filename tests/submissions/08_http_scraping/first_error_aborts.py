# expect-fail: test_fetch_page_records_connection_errors: fetch_page must not raise for one URL
# expect-fail: test_fetch_pages_records_every_failure: one URL's connection error stopped the whole call
# expect-fail: test_fetch_pages_times_out_each_request: It raised ClientConnectorError
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        return {"url": url, "status": response.status, "body": await response.text()}


async def fetch_pages(urls, limit=None, timeout=10.0):
    semaphore = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with semaphore:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
