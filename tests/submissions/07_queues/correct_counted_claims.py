# expect: pass
import asyncio


class Pool:
    """Consumers that each claim one of the expected items before taking it: no sentinel,
    no cancel; the last claim is made by whoever takes the last item."""

    def __init__(self, process, expected, workers, maxsize=0):
        self.queue = asyncio.Queue(maxsize)
        self.process = process
        self.unclaimed = expected
        self.workers = workers
        self.results = []

    async def consumer(self):
        while self.unclaimed > 0:
            self.unclaimed -= 1
            item = await self.queue.get()
            self.results.append(await self.process(item))

    async def run(self, *producers):
        async with asyncio.TaskGroup() as group:
            for producer in producers:
                group.create_task(producer)
            for _ in range(self.workers):
                group.create_task(self.consumer())
        return self.results


async def process_all(process, items, workers):
    pool = Pool(process, len(items), workers)
    for item in items:
        pool.queue.put_nowait(item)
    return await pool.run()


async def produce(fetch, urls, queue):
    for url in urls:
        await queue.put(await fetch(url))


async def run_pipeline(fetch, process, batches, workers, maxsize):
    pool = Pool(process, sum(len(urls) for urls in batches), workers, maxsize)
    return await pool.run(*(produce(fetch, urls, pool.queue) for urls in batches))
