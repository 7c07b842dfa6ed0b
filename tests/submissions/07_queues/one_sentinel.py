# expect-fail: test_process_all_stops_its_consumers[more-workers]: with 3 consumers waiting in queue.get()
# expect-fail: test_pipeline_stops_when_done[no-batches]: Your consumers never stop
# expect-pass: test_pipeline_queue_is_bounded
import asyncio

DONE = object()


async def consume(queue, process, results):
    while True:
        item = await queue.get()
        if item is DONE:
            return
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    queue.put_nowait(
        DONE
    )  # one stop sign: the first consumer to see it stops, the others wait on
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
    await queue.put(DONE)
    await asyncio.gather(*consumers)
    return results
