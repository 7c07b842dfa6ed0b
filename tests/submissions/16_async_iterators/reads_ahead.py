# expect-fail: test_stream_items_streams_page_by_page: called fetch_page(2) when the consumer had taken 1 of the 3 items of page 1: it read ahead
# expect-pass: test_stream_items_yields_every_item_in_order
# visible-fail: test_stream_items_fetches_a_page_only_when_needed: don't start the next fetch early
# Prefetches the next page in a task while the consumer takes the current one.
import asyncio
import contextlib


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    number = 1
    page = await fetch_page(number)
    while page:
        following = asyncio.create_task(fetch_page(number + 1))
        for item in page:
            yield item
        page = await following
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
