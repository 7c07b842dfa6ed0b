# expect-fail: test_process_all_processes_each_item_once: process was called more than once for 'kiwi', 'fig', 'pear', 'apple' and 2 more (up to 2 times)
# expect-fail: test_pipeline_handles_every_page_once: process was called more than once
import asyncio

STOP = object()


async def consumer(queue, process, results):
    while (item := await queue.get()) is not STOP:
        results.append(await process(item))


async def process_all(process, items, workers):
    queues = [asyncio.Queue() for _ in range(workers)]  # one inbox per consumer
    for item in items:
        for queue in queues:
            queue.put_nowait(item)
    for queue in queues:
        queue.put_nowait(STOP)
    results = []
    await asyncio.gather(*(consumer(queue, process, results) for queue in queues))
    return results


async def producer(fetch, urls, queues):
    for url in urls:
        page = await fetch(url)
        for queue in queues:
            await queue.put(page)


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queues = [asyncio.Queue(maxsize) for _ in range(workers)]
    results = []
    consumers = [asyncio.create_task(consumer(queue, process, results)) for queue in queues]
    await asyncio.gather(*(producer(fetch, urls, queues) for urls in batches))
    for queue in queues:
        await queue.put(STOP)
    await asyncio.gather(*consumers)
    return results
