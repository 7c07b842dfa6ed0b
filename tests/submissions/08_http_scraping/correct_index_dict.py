# expect: pass
import asyncio
import contextlib

import aiohttp


async def fetch_page(session, url, timeout):
    try:
        async with asyncio.timeout(timeout):
            response = await session.get(url)
            try:
                body = await response.text()
            finally:
                response.release()
    except (aiohttp.ClientError, TimeoutError) as error:
        return {"url": url, "error": error}
    return {"url": url, "status": response.status, "body": body}


async def fetch_pages(urls, limit=None, timeout=10.0):
    gate = asyncio.Semaphore(limit) if limit is not None else contextlib.nullcontext()
    session = aiohttp.ClientSession()
    try:

        async def one(index, url):
            async with gate:
                return index, await fetch_page(session, url, timeout)

        found = {}
        for next_done in asyncio.as_completed(
            [one(i, url) for i, url in enumerate(urls)]
        ):
            index, result = await next_done
            found[index] = result
        return [found[i] for i in range(len(urls))]
    finally:
        await session.close()
