# expect-fail: test_fetch_pages_uses_one_session: It made 12 ClientSessions for 12 URLs
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
    semaphore = asyncio.Semaphore(limit or len(urls) or 1)

    async def one(url):
        async with semaphore:
            try:
                async with aiohttp.request("GET", url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                    return {"url": url, "status": response.status, "body": await response.text()}
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                return {"url": url, "error": error}

    return await asyncio.gather(*(one(url) for url in urls))
