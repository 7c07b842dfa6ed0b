# expect-fail: test_connection_releases_when_the_body_raises: connection swallowed it
# expect-fail: test_connection_releases_when_cancelled: the CancelledError was swallowed
# expect-pass: test_connection_hands_over_and_releases
# visible-fail: test_connection_releases_when_the_body_raises: Your `__aexit__` returned a true value
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


class connection:
    def __init__(self, pool):
        self.pool = pool

    async def __aenter__(self):
        self.conn = await self.pool.acquire()
        return self.conn

    async def __aexit__(self, exc_type, exc, tb):
        await self.pool.release(self.conn)
        return True
