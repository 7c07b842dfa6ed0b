# expect-fail: test_stream_items_streams_page_by_page: it collected every item first
# expect-pass: test_stream_items_yields_every_item_in_order
# expect-pass: test_matching_items_collects_matches_from_every_page
# Fetches every page into one list, then hands the items out: right items, no streaming.
import asyncio
import contextlib


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    everything = []
    number = 1
    while True:
        page = await fetch_page(number)
        if not page:
            break
        everything.extend(page)
        number += 1
    for item in everything:
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
