"""Exercise 16, reference solution."""

import asyncio
import contextlib


async def ticks(interval, count):
    """Yield 1, 2, ..., count: each one `interval` seconds after the one before."""
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    """Yield the items of pages 1, 2, 3, ... one at a time; stop at the first empty page."""
    number = 1
    while True:
        page = await fetch_page(number)
        if not page:
            return
        for item in page:
            yield item
        number += 1


async def matching_items(fetch_page, word):
    """Every item of every page that contains `word`, as a list."""
    return [item async for item in stream_items(fetch_page) if word in item]


async def first_items(items, n):
    """The first `n` items of the async iterator `items`; it is closed before returning."""
    found = []
    async with contextlib.aclosing(items):
        async for item in items:
            found.append(item)
            if len(found) == n:
                break
    return found


@contextlib.asynccontextmanager
async def connection(pool):
    """Acquire a connection from `pool`, hand it to the body, always release it."""
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)
