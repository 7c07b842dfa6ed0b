# expect-fail: test_stream_items_streams_page_by_page: called fetch_page(2) when the consumer had taken 2 of the 3 items of page 1: it read ahead
# expect-pass: test_stream_items_yields_every_item_in_order
# A class that fetches the next page as soon as it hands out a page's last item.
import asyncio
import contextlib


async def ticks(interval, count):
    for tick in range(1, count + 1):
        await asyncio.sleep(interval)
        yield tick


class stream_items:
    def __init__(self, fetch_page):
        self.fetch_page = fetch_page
        self.number = 1
        self.page = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.page is None:
            self.page = list(await self.fetch_page(self.number))
        if not self.page:
            raise StopAsyncIteration
        item = self.page.pop(0)
        if not self.page:  # that was the last one: get the next page ready
            self.number += 1
            self.page = list(await self.fetch_page(self.number))
        return item


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
