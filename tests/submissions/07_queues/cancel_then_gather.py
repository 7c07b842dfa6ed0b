# expect-fail: test_process_all_processes_each_item_once: Nobody cancelled process_all, yet at 5 s it raised CancelledError
# expect-fail: test_pipeline_handles_every_page_once: raises that task's CancelledError in your code
import asyncio


async def consume(queue, process, results):
    while True:
        item = await queue.get()
        results.append(await process(item))
        queue.task_done()


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    consumers = [
        asyncio.create_task(consume(queue, process, results)) for _ in range(workers)
    ]
    await queue.join()
    for consumer in consumers:
        consumer.cancel()
    await asyncio.gather(*consumers)  # raises the consumers' CancelledError
    return results


async def produce(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    consumers = [
        asyncio.create_task(consume(queue, process, results)) for _ in range(workers)
    ]
    await asyncio.gather(*(produce(fetch, urls, queue) for urls in batches))
    await queue.join()
    for consumer in consumers:
        consumer.cancel()
    await asyncio.gather(*consumers)
    return results
