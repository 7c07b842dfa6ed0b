"""Exercise 07, reference solution: consumers stop on a sentinel, one per consumer."""

import asyncio

DONE = object()  # the sentinel: a consumer that takes it stops


async def consume(queue, process, results):
    """Take items from the queue and process them, until the sentinel comes."""
    while True:
        item = await queue.get()
        if item is DONE:
            return
        results.append(await process(item))


async def process_all(process, items, workers):
    """Process every item with `workers` consumers sharing one queue; return the results."""
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    for _ in range(workers):
        queue.put_nowait(DONE)
    results = []
    await asyncio.gather(*(consume(queue, process, results) for _ in range(workers)))
    return results


async def produce(fetch, urls, queue):
    """Fetch the urls one after another, putting each page on the queue (waiting while it is full)."""
    for url in urls:
        page = await fetch(url)
        await queue.put(page)


async def run_pipeline(fetch, process, batches, workers, maxsize):
    """One producer per batch, `workers` consumers, a queue of at most `maxsize` pages."""
    queue = asyncio.Queue(maxsize)
    results = []
    consumers = [asyncio.create_task(consume(queue, process, results)) for _ in range(workers)]
    await asyncio.gather(*(produce(fetch, urls, queue) for urls in batches))
    for _ in range(workers):  # every page is on the queue: now tell each consumer to stop
        await queue.put(DONE)
    await asyncio.gather(*consumers)
    return results
