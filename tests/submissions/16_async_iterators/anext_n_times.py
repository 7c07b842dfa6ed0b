# expect-fail: test_first_items_handles_a_short_stream: it asked for more items than the stream has
# expect-pass: test_first_items_closes_the_stream
import asyncio
import contextlib


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    number = 1
    while True:
        page = await fetch_page(number)
        if not page:
            return
        for item in page:
            yield item
        number += 1


async def matching_items(fetch_page, word):
    return [item async for item in stream_items(fetch_page) if word in item]


async def first_items(items, n):
    async with contextlib.aclosing(items):
        return [await anext(items) for _ in range(n)]


@contextlib.asynccontextmanager
async def connection(pool):
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)
