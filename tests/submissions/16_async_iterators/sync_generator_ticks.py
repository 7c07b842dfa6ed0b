# expect-fail: test_ticks_yields_each_tick_on_time: It returned a plain generator (a `def` with `yield`): `async for` cannot go through it, and it cannot await. Its body called time.sleep at streams.py
# expect-pass: test_stream_items_streams_page_by_page
import contextlib
import time


def ticks(interval, count):
    for tick in range(1, count + 1):
        time.sleep(interval)
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
