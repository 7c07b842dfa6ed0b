# expect: pass
import asyncio

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with asyncio.timeout(timeout):
            async with session.get(url) as response:
                body = await response.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        return {"url": url, "error": error}
    return {"url": url, "status": response.status, "body": body}


async def fetch_pages(urls, limit=None, timeout=10.0):
    # The connection pool is the limit: one connection per request in flight.
    connector = aiohttp.TCPConnector(limit=limit or 0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = []
        async with asyncio.TaskGroup() as group:
            for url in urls:
                tasks.append(group.create_task(fetch_page(session, url, timeout)))
    return [task.result() for task in tasks]
