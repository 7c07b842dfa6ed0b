# expect-fail: test_stream_items_yields_every_item_in_order: an empty page means there are no more
# expect-pass: test_ticks_yields_each_tick_on_time
# Goes through the pages with itertools.count and never looks for the empty page.
import asyncio
import contextlib
import itertools


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    for number in itertools.count(1):
        for item in await fetch_page(number):
            yield item


async def matching_items(fetch_page, word):
    return [item async for item in stream_items(fetch_page) if word in item]


async def first_items(items, n):
    found = []
    async with contextlib.aclosing(items):
        async for item in items:
            found.append(item)
            if len(found) == n:
                break
    return found


@contextlib.asynccontextmanager
async def connection(pool):
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)
