# expect: pass
# Queue.shutdown (Python 3.13+): get() raises QueueShutDown once the queue is shut down and empty.
# Before 3.13 the same idea is built from one sentinel that each consumer passes on.
import asyncio
import sys

HAS_SHUTDOWN = sys.version_info >= (3, 13)
CLOSED = object()


async def close(queue):
    if HAS_SHUTDOWN:
        queue.shutdown()
    else:
        await queue.put(CLOSED)


async def next_item(queue):
    """The next item, or CLOSED once the queue is closed and empty."""
    if HAS_SHUTDOWN:
        try:
            return await queue.get()
        except asyncio.QueueShutDown:
            return CLOSED
    item = await queue.get()
    if item is CLOSED:
        queue.put_nowait(CLOSED)  # pass it on to the next consumer: there is room, we just took it
    return item


async def consumer(queue, process, results):
    while (item := await next_item(queue)) is not CLOSED:
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    await close(queue)
    results = []
    await asyncio.gather(*(consumer(queue, process, results) for _ in range(workers)))
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    consumers = asyncio.gather(*(consumer(queue, process, results) for _ in range(workers)))
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    await close(queue)
    await consumers
    return results
