# expect: pass
# ticks from a deadline on the loop clock; stream_items over a generator of pages;
# first_items with anext(items, default) and aclose in a finally; connection through an
# AsyncExitStack.
import asyncio
import contextlib

_END = object()


async def ticks(interval, count):
    loop = asyncio.get_running_loop()
    start = loop.time()
    for tick in range(1, count + 1):
        await asyncio.sleep(start + tick * interval - loop.time())
        yield tick


async def stream_items(fetch_page):
    async for page in _pages(fetch_page):
        for item in page:
            yield item


async def matching_items(fetch_page, word):
    found = []
    async for item in stream_items(fetch_page):
        if word in item:
            found.append(item)
    return found


async def first_items(items, n):
    found = []
    try:
        while len(found) < n:
            item = await anext(items, _END)
            if item is _END:
                break
            found.append(item)
    finally:
        await items.aclose()
    return found


@contextlib.asynccontextmanager
async def connection(pool):
    async with contextlib.AsyncExitStack() as stack:
        conn = await pool.acquire()
        stack.push_async_callback(pool.release, conn)
        yield conn


async def _pages(fetch_page):
    number = 1
    while page := await fetch_page(number):
        yield page
        number += 1
