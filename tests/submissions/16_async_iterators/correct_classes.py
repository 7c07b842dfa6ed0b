# expect: pass
# Classes throughout: __aiter__/__anext__ for the stream, __aenter__/__aexit__ for the
# connection, and first_items with anext() and an explicit aclose() in a finally.
import asyncio


class ticks:
    def __init__(self, interval, count):
        self.interval = interval
        self.count = count
        self.tick = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.tick >= self.count:
            raise StopAsyncIteration
        await asyncio.sleep(self.interval)
        self.tick += 1
        return self.tick


class stream_items:
    def __init__(self, fetch_page):
        self.fetch_page = fetch_page
        self.number = 0
        self.waiting = []
        self.finished = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        while not self.waiting:
            if self.finished:
                raise StopAsyncIteration
            self.number += 1
            page = await self.fetch_page(self.number)
            if not page:
                self.finished = True
                raise StopAsyncIteration
            self.waiting = list(page)
        return self.waiting.pop(0)


async def matching_items(fetch_page, word):
    found = []
    async for item in stream_items(fetch_page):
        if word in item:
            found.append(item)
    return found


async def first_items(items, n):
    found = []
    try:
        while len(found) < n:
            try:
                found.append(await anext(items))
            except StopAsyncIteration:
                break
    finally:
        await items.aclose()
    return found


class connection:
    def __init__(self, pool):
        self.pool = pool
        self.conn = None

    async def __aenter__(self):
        self.conn = await self.pool.acquire()
        return self.conn

    async def __aexit__(self, exc_type, exc, tb):
        await self.pool.release(self.conn)
        return False
