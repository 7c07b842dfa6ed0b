# expect-fail: test_fetch_page_gives_up_after_timeout: it recorded the error as CancelledError, expected the exception object itself, a TimeoutError
# expect-pass: test_fetch_page_records_error_statuses
# visible-fail: test_fetch_page_gives_up_after_its_timeout: it caught the CancelledError the timeout uses
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    async with asyncio.timeout(timeout):
        try:
            async with session.get(url) as response:
                return {
                    "url": url,
                    "status": response.status,
                    "body": await response.text(),
                }
        except BaseException as error:  # noqa: BLE001 - whatever goes wrong, record it
            return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    slots = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with slots:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
