# expect-fail: test_fetch_pages_runs_all_at_once_without_limit: is bound to a different event loop at scraper.py
# expect-pass: test_fetch_page_returns_status_and_body
import asyncio

import aiohttp

SLOTS = asyncio.Semaphore(5)  # be gentle with servers


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
    async with aiohttp.ClientSession() as session:

        async def one(url):
            async with SLOTS:
                return await fetch_page(session, url, timeout)

        return await asyncio.gather(*(one(url) for url in urls))
