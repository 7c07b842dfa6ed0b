# expect-fail: test_fetch_pages_respects_the_limit: Up to 20 requests were at the server at the same time: it ignored the limit
# expect-fail: test_fetch_pages_keeps_the_limit_busy: Up to 9 requests were at the server at the same time
# expect-pass: test_fetch_pages_runs_all_at_once_without_limit
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(fetch_page(session, url, timeout) for url in urls))
