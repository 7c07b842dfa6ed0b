# expect-fail: test_pipeline_consumers_wait_for_pages: your consumers look for pages now and then (polling)
# expect-pass: test_pipeline_stops_when_done[more-pages]
# expect-pass: test_process_all_runs_workers_at_once[3-workers]
# visible-fail: test_run_pipeline_consumers_wait_for_pages: your consumer looks for pages now and then (polling)
# (test_pipeline_runs_producers_together: its pages arrive at 1 s, when a consumer polling every 0.1 s
# looks too. In one process the order of those two events at the same loop time decided its verdict;
# judged apart the judge's answers come first. The check for polling is consumers_wait_for_pages.)
import asyncio


async def consumer(queue, process, results, producers_done):
    while not (producers_done.is_set() and queue.empty()):
        try:
            item = queue.get_nowait()
        except asyncio.QueueEmpty:
            await asyncio.sleep(0.1)  # don't hog the loop: look again in a moment
            continue
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    done = asyncio.Event()
    done.set()
    results = []
    await asyncio.gather(*(consumer(queue, process, results, done) for _ in range(workers)))
    return results


async def producer(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    done = asyncio.Event()
    results = []
    consumers = [asyncio.create_task(consumer(queue, process, results, done)) for _ in range(workers)]
    await asyncio.gather(*(producer(fetch, urls, queue) for urls in batches))
    done.set()
    await asyncio.gather(*consumers)
    return results
