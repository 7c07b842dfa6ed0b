# expect-fail: test_connection_hands_over_and_releases: had not finished after 600 s of loop time: it is waiting for something that never happens
# expect-fail: test_connection_releases_when_cancelled: a `finally:` or __aexit__ that waits for something that never happens
# expect-pass: test_first_items_closes_the_stream
# Waits in its finally for an Event that a done callback should set, but the callback
# only names done.set without calling it.
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
    async with contextlib.aclosing(items):
        async for item in items:
            found.append(item)
            if len(found) == n:
                break
    return found


@contextlib.asynccontextmanager
async def connection(pool):
    conn = await pool.acquire()
    done = asyncio.Event()
    try:
        yield conn
    finally:
        releasing = asyncio.ensure_future(pool.release(conn))
        releasing.add_done_callback(
            lambda _: done.set
        )  # the call is missing: done.set()
        await done.wait()
