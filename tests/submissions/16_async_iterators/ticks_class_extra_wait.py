# expect-fail: test_ticks_yields_each_tick_on_time: The ticks came on time, but the end came only at 2.5 s
# A class whose __anext__ sleeps before it checks the count: one interval of waiting for
# nothing before the end.
import asyncio
import contextlib


class ticks:
    def __init__(self, interval, count):
        self.interval = interval
        self.count = count
        self.tick = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(self.interval)
        self.tick += 1
        if self.tick > self.count:
            raise StopAsyncIteration
        return self.tick


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
