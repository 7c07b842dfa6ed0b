# expect-fail: test_process_all_stops_its_consumers[more-items]: consumers never stop: the pipeline did not return after all items were processed
# expect-fail: test_pipeline_stops_when_done[more-pages]: consumers never stop: the pipeline did not return after all items were processed
# expect-fail: test_pipeline_handles_every_page_once: with 2 consumers waiting in queue.get() for a page that never comes
import asyncio


async def consumer(queue, process, results):
    while True:
        item = await queue.get()
        results.append(await process(item))
        queue.task_done()


async def producer(fetch, urls, queue):
    for url in urls:
        page = await fetch(url)
        await queue.put(page)


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    await asyncio.gather(*(consumer(queue, process, results) for _ in range(workers)))
    return results


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []
    producers = [producer(fetch, urls, queue) for urls in batches]
    consumers = [consumer(queue, process, results) for _ in range(workers)]
    await asyncio.gather(*producers, *consumers)
    return results
