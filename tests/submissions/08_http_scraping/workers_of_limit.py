# expect-fail: test_fetch_pages_runs_all_at_once_without_limit: The server got the 20 requests one after another
# expect-pass: test_fetch_pages_respects_the_limit
# visible-fail: test_fetch_pages_without_limit_sends_all_at_once: at most 1 request(s) at the server at once
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
    results = [None] * len(urls)
    queue = asyncio.Queue()
    for item in enumerate(urls):
        queue.put_nowait(item)
    async with aiohttp.ClientSession() as session:

        async def worker():
            while not queue.empty():
                index, url = queue.get_nowait()
                results[index] = await fetch_page(session, url, timeout)

        await asyncio.gather(*(worker() for _ in range(limit or 1)))
    return results
