# expect-fail: test_fetch_page_records_error_statuses[503]: but it recorded an error, ClientResponseError: 503
# expect-fail: test_fetch_pages_records_every_failure: the server answered 404, but it recorded an error
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout), raise_for_status=True) as response:
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
