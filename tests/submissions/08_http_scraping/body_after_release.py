# expect-fail: test_fetch_page_returns_status_and_body: read the body inside `async with session.get(url) as response:`
# expect-fail: test_fetch_pages_keeps_input_order: Result 0, for http://shop.test/kiwi: the server answered 200, but it recorded the error ClientConnectionError: Connection closed
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            status = response.status
        return {"url": url, "status": status, "body": await response.text()}
    except (TimeoutError, aiohttp.ClientError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    slots = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with slots:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
