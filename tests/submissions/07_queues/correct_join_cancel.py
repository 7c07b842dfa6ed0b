# expect: pass
import asyncio


async def worker(queue, process, results):
    while True:
        item = await queue.get()
        try:
            results.append(await process(item))
        finally:
            queue.task_done()


async def stop(workers):
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results = []
    tasks = [asyncio.create_task(worker(queue, process, results)) for _ in range(workers)]
    await queue.join()
    await stop(tasks)
    return results


async def produce(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize=maxsize)
    results = []
    tasks = [asyncio.create_task(worker(queue, process, results)) for _ in range(workers)]
    await asyncio.gather(*(produce(fetch, urls, queue) for urls in batches))
    await queue.join()  # every page put has been processed
    await stop(tasks)
    return results
