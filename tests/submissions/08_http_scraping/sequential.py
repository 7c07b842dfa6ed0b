# expect-fail: test_fetch_pages_runs_all_at_once_without_limit: one after another, never two at once
# expect-fail: test_fetch_pages_respects_the_limit: at most 1 request(s) in flight and took 20 s
# expect-fail: test_fetch_pages_keeps_the_limit_busy: It sent one request at a time
# expect-fail: test_fetch_pages_times_out_each_request: but returned after 7 s
# expect-pass: test_fetch_pages_keeps_input_order
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return {"url": url, "status": response.status, "body": await response.text()}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    results = []
    async with aiohttp.ClientSession() as session:
        for url in urls:
            results.append(await fetch_page(session, url, timeout))
    return results
