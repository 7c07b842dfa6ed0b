# expect-fail: test_pipeline_handles_every_page_once: It returned while 2 tasks it started were still running (consumer, consumer)
# expect-fail: test_process_all_stops_its_consumers[more-workers]: If you cancel them, await them after
import asyncio


async def consumer(queue, process, results):
    while True:
        item = await queue.get()
        results.append(await process(item))
        queue.task_done()


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    tasks = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()  # cancelled: that is enough
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    tasks = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    await queue.join()
    for task in tasks:
        task.cancel()
    return results
