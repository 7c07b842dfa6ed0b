# expect-fail: test_process_all_stops_its_consumers[more-items]: its consumers stopped 1 s after the work was done
# expect-fail: test_process_all_stops_its_consumers[no-items]: There were no items to process, but it returned only at 1 s
# expect-fail: test_pipeline_consumers_wait_for_pages: never reached process
import asyncio


async def consumer(queue, process, results):
    while True:
        try:
            item = await asyncio.wait_for(queue.get(), timeout=1)
        except TimeoutError:
            return  # nothing came for a second: the work is done
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
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
    await asyncio.gather(
        *(producer(fetch, urls, queue) for urls in batches),
        *(consumer(queue, process, results) for _ in range(workers)),
    )
    return results
