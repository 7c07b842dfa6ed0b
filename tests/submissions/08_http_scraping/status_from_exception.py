# expect-fail: test_fetch_page_records_error_statuses[404]: it recorded the body 'Not Found'; the server sent '<p>No such fruit</p>'
# expect-pass: test_fetch_page_returns_status_and_body
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(
            url, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            response.raise_for_status()
            return {
                "url": url,
                "status": response.status,
                "body": await response.text(),
            }
    except aiohttp.ClientResponseError as error:  # 404, 500: the server did answer
        return {"url": url, "status": error.status, "body": error.message}
    except (TimeoutError, aiohttp.ClientError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    slots = asyncio.Semaphore(limit or len(urls) or 1)
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with slots:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
