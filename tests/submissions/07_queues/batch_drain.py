# expect-fail: test_process_all_runs_workers_at_once[1-worker]: neither is a consumer that gathers a batch of items at once
# expect-pass: test_pipeline_stops_when_done
import asyncio

DONE = object()


async def consume(queue, process, results):
    while True:
        batch = [await queue.get()]
        while not queue.empty():  # take what is waiting too, and process it all at once
            batch.append(queue.get_nowait())
        stop = DONE in batch
        pages = [item for item in batch if item is not DONE]
        results.extend(await asyncio.gather(*(process(page) for page in pages)))
        if stop:
            for _ in range(batch.count(DONE) - 1):
                queue.put_nowait(DONE)  # hand the other stop signs back
            return


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    for _ in range(workers):
        queue.put_nowait(DONE)
    results = []
    await asyncio.gather(*(consume(queue, process, results) for _ in range(workers)))
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
    for _ in range(workers):
        await queue.put(DONE)
    await asyncio.gather(*consumers)
    return results
