# expect-fail: test_fetch_pages_records_every_failure: Every result holds the same error
# expect-fail: test_fetch_pages_times_out_each_request: caught around the whole batch
# visible-fail: test_fetch_pages_records_each_failure_on_its_own: every result holding the same error
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with asyncio.timeout(timeout):
            async with session.get(url) as response:
                return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    semaphore = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with semaphore:
                async with session.get(url) as response:
                    return {"url": url, "status": response.status, "body": await response.text()}

        try:
            async with asyncio.timeout(timeout):
                return await asyncio.gather(*(one(url) for url in urls))
        except aiohttp.ClientError as error:
            return [{"url": url, "error": error} for url in urls]
