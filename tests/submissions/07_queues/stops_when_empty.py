# expect-fail: test_pipeline_handles_every_page_once: Your consumers stopped before the work was done
# expect-fail: test_pipeline_runs_consumers_together: Your consumers stopped before the work was done
# expect-pass: test_process_all_processes_each_item_once
# expect-pass: test_process_all_runs_workers_at_once[3-workers]
# expect-pass: test_process_all_stops_its_consumers[more-workers]
# process_all is right: its queue is full before the consumers start. run_pipeline is not.
import asyncio


async def consumer(queue, process, results):
    while not queue.empty():  # nothing left: the work must be done
        item = await queue.get()
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
    producers = [producer(fetch, urls, queue) for urls in batches]
    consumers = [consumer(queue, process, results) for _ in range(workers)]
    await asyncio.gather(*producers, *consumers)
    return results
