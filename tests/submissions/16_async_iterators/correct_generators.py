# expect: pass
# Async generators another way: ticks on a fixed schedule from the loop's clock, the stream
# built on a generator of pages, an AsyncExitStack around first_items, and a connection
# released from a finally after an except that only logs.
import asyncio
import contextlib


async def ticks(interval, count):
    loop = asyncio.get_running_loop()
    start = loop.time()
    tick = 0
    while tick < count:
        tick += 1
        await asyncio.sleep(start + tick * interval - loop.time())
        yield tick


async def pages_of(fetch_page):
    number = 1
    while True:
        page = await fetch_page(number)
        if len(page) == 0:
            break
        yield page
        number += 1


async def stream_items(fetch_page):
    async with contextlib.aclosing(pages_of(fetch_page)) as pages:
        async for page in pages:
            for item in page:
                yield item


async def matching_items(fetch_page, word):
    return [item async for item in stream_items(fetch_page) if item.find(word) >= 0]


async def first_items(items, n):
    async with contextlib.AsyncExitStack() as stack:
        stream = await stack.enter_async_context(contextlib.aclosing(items))
        found = []
        async for item in stream:
            found.append(item)
            if len(found) >= n:
                break
        return found


@contextlib.asynccontextmanager
async def connection(pool):
    conn = await pool.acquire()
    try:
        yield conn
    except BaseException as error:
        print(f"the body of connection ended with {type(error).__name__}")
        raise
    finally:
        await pool.release(conn)
