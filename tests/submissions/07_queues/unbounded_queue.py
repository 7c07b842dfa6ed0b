# expect-fail: test_pipeline_queue_is_bounded[1-producer]: The queue grew without a bound
# expect-pass: test_pipeline_handles_every_page_once
# expect-pass: test_pipeline_runs_consumers_together
# expect-pass: test_pipeline_stops_when_done[more-pages]
import asyncio

STOP = None


async def consumer(queue, process, results):
    while (item := await queue.get()) is not STOP:
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in [*items, *[STOP] * workers]:
        queue.put_nowait(item)
    results = []
    await asyncio.gather(*(consumer(queue, process, results) for _ in range(workers)))
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue()  # "a bigger queue can only be faster"
    results = []
    consumers = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    for _ in consumers:
        await queue.put(STOP)
    await asyncio.gather(*consumers)
    return results
