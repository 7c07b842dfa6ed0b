# expect: pass
import asyncio

import aiohttp


async def _get(session, url):
    async with session.get(url) as response:
        return {"url": url, "status": response.status, "body": await response.text()}


async def fetch_page(session, url, timeout):
    try:
        return await asyncio.wait_for(_get(session, url), timeout)
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return {"url": url, "error": error}


async def fetch_pages(urls, limit=None, timeout=10.0):
    results = [None] * len(urls)
    todo = asyncio.Queue()
    for index, url in enumerate(urls):
        todo.put_nowait((index, url))

    async def worker(session):
        while not todo.empty():
            index, url = todo.get_nowait()
            results[index] = await fetch_page(session, url, timeout)

    session = aiohttp.ClientSession()
    try:
        workers = limit or len(urls)
        await asyncio.gather(*(worker(session) for _ in range(workers)))
    finally:
        await session.close()
    return results
