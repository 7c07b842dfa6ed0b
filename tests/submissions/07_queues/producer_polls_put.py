# expect-fail: test_pipeline_producers_wait_on_a_full_queue: Your producers look for room now and then
# expect-pass: test_pipeline_queue_is_bounded
# expect-pass: test_pipeline_consumers_wait_for_pages
# visible-fail: test_run_pipeline_producers_wait_on_a_full_queue: it looks for room now and then (polling)
import asyncio

DONE = object()


async def consume(queue, process, results):
    while True:
        item = await queue.get()
        if item is DONE:
            return
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    for _ in range(workers):
        queue.put_nowait(DONE)
    results = []
    await asyncio.gather(*(consume(queue, process, results) for _ in range(workers)))
    return results


async def produce(fetch, urls, queue):
    for url in urls:
        page = await fetch(url)
        while True:
            try:
                queue.put_nowait(page)
                break
            except asyncio.QueueFull:
                await asyncio.sleep(0.1)  # full: try again a little later


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    consumers = [
        asyncio.create_task(consume(queue, process, results)) for _ in range(workers)
    ]
    await asyncio.gather(*(produce(fetch, urls, queue) for urls in batches))
    for _ in range(workers):
        await queue.put(DONE)
    await asyncio.gather(*consumers)
    return results
