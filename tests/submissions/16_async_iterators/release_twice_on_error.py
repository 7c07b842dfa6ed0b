# expect-fail: test_connection_releases_when_the_body_raises: released 2 times
# expect-pass: test_connection_hands_over_and_releases
# expect-pass: test_connection_releases_when_cancelled
# Releases in the except, then again in the finally.
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
    try:
        yield conn
    except Exception:
        await pool.release(conn)
        raise
    finally:
        await pool.release(conn)
