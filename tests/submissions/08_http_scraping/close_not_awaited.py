# expect-fail: test_fetch_pages_closes_its_session: ClientSession(s) it made still open
# expect-pass: test_fetch_pages_records_every_failure
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    session = aiohttp.ClientSession()
    semaphore = asyncio.Semaphore(limit or len(urls) or 1)

    async def one(url):
        async with semaphore:
            return await fetch_page(session, url, timeout)

    results = await asyncio.gather(*(one(url) for url in urls))
    session.close()
    return results
