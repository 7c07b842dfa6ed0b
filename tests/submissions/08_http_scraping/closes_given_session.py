# expect-fail: test_fetch_page_returns_status_and_body: It closed the session it was given
# expect-fail: test_fetch_pages_respects_the_limit: Session is closed
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    async with session:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
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
