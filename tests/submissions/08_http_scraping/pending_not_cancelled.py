# expect-fail: test_fetch_pages_leaves_nothing_running: RuntimeError: Session is closed
# expect-pass: test_fetch_pages_times_out_each_request
# visible-fail: test_fetch_pages_leaves_nothing_running: task(s) it started were still running
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
    async with aiohttp.ClientSession() as session:
        slots = asyncio.Semaphore(limit or len(urls) or 1)

        async def one(url):
            async with slots:
                return await fetch_page(session, url, timeout)

        tasks = [asyncio.create_task(one(url)) for url in urls]
        if not tasks:
            return []
        # give the whole batch `timeout` seconds; whatever is not back by then timed out
        done, _pending = await asyncio.wait(tasks, timeout=timeout)
        return [
            task.result() if task in done else {"url": url, "error": TimeoutError()}
            for url, task in zip(urls, tasks)
        ]
