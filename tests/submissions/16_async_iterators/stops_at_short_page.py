# expect-fail: test_stream_items_yields_every_item_in_order: It gave ['ant', 'bee', 'cat', 'dog', 'eel'], then ended
# expect-fail: test_matching_items_collects_matches_from_every_page: It returned ['bee', 'eel']
# A page shorter than the first is taken for the last one.
import asyncio
import contextlib


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    number = 1
    size = None
    while True:
        page = await fetch_page(number)
        if not page:
            return
        for item in page:
            yield item
        if size is not None and len(page) < size:
            return
        size = size or len(page)
        number += 1


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
