# expect-fail: test_fetch_page_returns_status_and_body: It made its own ClientSession instead of using the session it was given
# expect-fail: test_fetch_pages_uses_one_session: It made 13 ClientSessions for 12 URLs
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as own:
            async with own.get(url) as response:
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
