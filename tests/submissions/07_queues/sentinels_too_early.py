# expect-fail: test_pipeline_handles_every_page_once: Your consumers stopped before the work was done
# expect-fail: test_pipeline_stops_when_done[more-workers]: 'a1 page' never reached process
# expect-pass: test_process_all_processes_each_item_once
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
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    producers = [asyncio.create_task(produce(fetch, urls, queue)) for urls in batches]
    consumers = [
        asyncio.create_task(consume(queue, process, results)) for _ in range(workers)
    ]
    for _ in range(
        workers
    ):  # the producers are still fetching: the stop signs overtake their pages
        await queue.put(DONE)
    await asyncio.gather(*consumers)
    await asyncio.gather(*producers)
    return results
