# expect-fail: test_pipeline_consumers_wait_for_pages: polls instead of waiting
# expect-fail: test_pipeline_runs_producers_together: kept the event loop spinning
# expect-pass: test_process_all_processes_each_item_once
import asyncio


async def consumer(queue, process, results, producers_done):
    while True:
        try:
            item = queue.get_nowait()
        except asyncio.QueueEmpty:
            if producers_done.is_set():
                return
            await asyncio.sleep(0)  # nothing yet: look again
            continue
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    done = asyncio.Event()
    done.set()  # every item is already on the queue
    results = []
    await asyncio.gather(*(consumer(queue, process, results, done) for _ in range(workers)))
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    done = asyncio.Event()
    results = []
    consumers = [asyncio.create_task(consumer(queue, process, results, done)) for _ in range(workers)]
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    done.set()
    await asyncio.gather(*consumers)
    return results
