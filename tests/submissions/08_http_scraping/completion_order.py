# expect-fail: test_fetch_pages_keeps_input_order: in the order the pages arrived
# visible-fail: test_fetch_pages_keeps_the_order_of_the_urls: in the order the pages arrived
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
    results = []
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with semaphore:
                results.append(await fetch_page(session, url, timeout))

        await asyncio.gather(*(one(url) for url in urls))
    return results
