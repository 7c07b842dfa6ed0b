# expect-fail: test_process_all_processes_each_item_once: queue.join() never returned
# expect-fail: test_pipeline_stops_when_done[more-pages]: the queue still counted 5 unfinished items: join() waits until task_done()
# expect-fail: test_pipeline_handles_every_page_once: task_done()
# expect-pass: test_process_all_stops_its_consumers[no-items]
import asyncio


async def consumer(queue, process, results):
    while True:
        item = await queue.get()
        results.append(await process(item))


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


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


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    tasks = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results
