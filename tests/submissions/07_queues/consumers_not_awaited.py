# expect-fail: test_pipeline_handles_every_page_once: It returned with 6 of 8 pages processed while 2 tasks it started were still running (consumer, consumer)
# expect-fail: test_process_all_stops_its_consumers[more-items]: Await every consumer task before you return
import asyncio

STOP = None


async def consumer(queue, process, results):
    while (item := await queue.get()) is not STOP:
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    for _ in range(workers):
        asyncio.create_task(consumer(queue, process, results))
    for _ in range(workers):
        await queue.put(STOP)  # the consumers will stop after the last item
    await asyncio.sleep(0)
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    for _ in range(workers):
        asyncio.create_task(consumer(queue, process, results))
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    for _ in range(workers):
        await queue.put(STOP)
    return results
