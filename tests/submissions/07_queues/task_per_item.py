# expect-fail: test_process_all_runs_workers_at_once[1-worker]: 4 process calls ran at the same time; with 1 worker at most 1 may
# expect-fail: test_pipeline_runs_consumers_together: A task per page is not a pool of consumers
# expect-fail: test_pipeline_queue_is_bounded[1-producer]: A task per page is not a pool of consumers
import asyncio

STOP = object()


async def consumer(queue, process, results):
    async def handle(item):
        results.append(await process(item))

    jobs = []
    while (item := await queue.get()) is not STOP:
        jobs.append(asyncio.create_task(handle(item)))  # don't wait: take the next item at once
    await asyncio.gather(*jobs)


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
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    for _ in consumers:
        await queue.put(STOP)
    await asyncio.gather(*consumers)
    return results
