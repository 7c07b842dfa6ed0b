# expect-fail: test_first_items_closes_the_stream: It started the close in a task and returned without waiting for it
# expect-pass: test_first_items_takes_no_item_past_the_nth
# Starts the close in a task and returns without waiting for it.
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
    found = []
    async for item in items:
        found.append(item)
        if len(found) == n:
            break
    asyncio.create_task(items.aclose())
    return found


@contextlib.asynccontextmanager
async def connection(pool):
    conn = await pool.acquire()
    try:
        yield conn
    finally:
        await pool.release(conn)
