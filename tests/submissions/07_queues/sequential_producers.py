# expect-fail: test_pipeline_runs_producers_together: so the producers ran one after another (6.5 s of loop time)
# expect-pass: test_pipeline_handles_every_page_once
# expect-pass: test_pipeline_queue_is_bounded[2-producers]
# visible-fail: test_run_pipeline_runs_producers_together: the producers ran one after another
import asyncio

STOP = object()


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
    queue = asyncio.Queue(maxsize)
    results = []
    consumers = [asyncio.create_task(consumer(queue, process, results)) for _ in range(workers)]
    for urls in batches:
        await producer(fetch, urls, queue)  # one batch after the other
    for _ in consumers:
        await queue.put(STOP)
    await asyncio.gather(*consumers)
    return results
