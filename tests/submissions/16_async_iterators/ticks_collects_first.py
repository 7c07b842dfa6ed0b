# expect-fail: test_ticks_yields_each_tick_on_time: The ticks came at 2, 2, 2, 2 s of loop time; expected at 0.5, 1, 1.5, 2 s: it waited for every tick first, then gave them all at once
# Collects the ticks into a list, then yields them: the right ticks, all at the end.
import asyncio
import contextlib


async def ticks(interval, count):
    due = []
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        due.append(tick)
    for tick in due:
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
