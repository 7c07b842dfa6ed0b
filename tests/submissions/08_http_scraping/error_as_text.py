# expect-fail: test_fetch_page_records_connection_errors: expected the exception object itself, a ClientConnectionError
# expect-fail: test_fetch_page_gives_up_after_timeout: it recorded the error as 'TimeoutError()'
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            return {
                "url": url,
                "status": response.status,
                "body": await response.text(),
            }
    except (TimeoutError, aiohttp.ClientError) as error:
        return {"url": url, "error": repr(error)}


async def fetch_pages(urls, limit=None, timeout=10.0):
    slots = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with slots:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
