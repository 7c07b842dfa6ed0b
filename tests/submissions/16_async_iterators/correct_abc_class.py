# expect: pass
# connection as a contextlib.AbstractAsyncContextManager subclass that releases in
# __aexit__ and lets the exception go on; first_items with enumerate over an index and
# aclosing; stream_items yielding page by page from a while loop with a break.
import asyncio
import contextlib


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


async def stream_items(fetch_page):
    number = 0
    while True:
        number += 1
        page = await fetch_page(number)
        if len(page) == 0:
            break
        for item in page:
            yield item


async def matching_items(fetch_page, word):
    return [item async for item in stream_items(fetch_page) if word in item]


async def first_items(items, n):
    found = []
    async with contextlib.aclosing(items) as stream:
        count = 0
        async for item in stream:
            found.append(item)
            count += 1
            if count >= n:
                break
    return found


class connection(contextlib.AbstractAsyncContextManager):
    def __init__(self, pool):
        self._pool = pool
        self._conn = None

    async def __aenter__(self):
        self._conn = await self._pool.acquire()
        return self._conn

    async def __aexit__(self, exc_type, exc, tb):
        conn, self._conn = self._conn, None
        await self._pool.release(conn)
