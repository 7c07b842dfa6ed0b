# expect: pass
import asyncio


class Done:
    """The sentinel: a consumer that takes it stops."""


async def consume(queue, process, results):
    while not isinstance(item := await queue.get(), Done):
        results.append(await process(item))


async def process_all(process, items, workers):
    queue = asyncio.Queue()
    results = []
    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(consume(queue, process, results))
        for item in items:
            await queue.put(item)
        for _ in range(workers):
            await queue.put(Done())
    return results


async def run_pipeline(fetch, process, batches, workers, maxsize):
    queue = asyncio.Queue(maxsize)
    results = []

    async def produce(urls):
        for url in urls:
            page = await fetch(url)
            await queue.put(page)

    async with asyncio.TaskGroup() as consumers:
        for _ in range(workers):
            consumers.create_task(consume(queue, process, results))
        async with asyncio.TaskGroup() as producers:
            for urls in batches:
                producers.create_task(produce(urls))
        for _ in range(workers):
            await queue.put(Done())
    return results
