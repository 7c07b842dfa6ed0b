# expect-fail: test_fetch_pages_keeps_input_order: It returned the results in another order
# expect-fail: test_fetch_pages_runs_all_at_once_without_limit: It returned the results in another order
# visible-fail: test_fetch_pages_keeps_the_order_of_the_urls: expected the order of the URLs
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
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    if not urls:
        return []
    slots = asyncio.Semaphore(limit or len(urls))
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with slots:
                return await fetch_page(session, url, timeout)

        done, _ = await asyncio.wait([asyncio.create_task(one(url)) for url in urls])
        return [task.result() for task in done]
