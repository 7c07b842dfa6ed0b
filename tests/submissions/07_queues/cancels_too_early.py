# expect-fail: test_pipeline_handles_every_page_once: was cancelled at
# expect-fail: test_pipeline_stops_when_done[more-workers]: Cancel the consumers only after `await queue.join()` has returned
# expect-pass: test_process_all_processes_each_item_once
import asyncio


async def consumer(queue, process, results):
    while True:
        item = await queue.get()
        try:
            results.append(await process(item))
        finally:
            queue.task_done()


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    tasks = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    tasks = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    # the producers are done, so the work is done: stop the consumers
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results
