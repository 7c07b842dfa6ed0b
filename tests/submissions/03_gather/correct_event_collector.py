# expect: pass
import asyncio


class Collector:
    """One slot per item, filled in as the fetches finish."""

    def __init__(self, count):
        self.results = [None] * count
        self.left = count
        self.done = asyncio.Event()
        if count == 0:
            self.done.set()

    def fill(self, index, value):
        self.results[index] = value
        self.left -= 1
        if self.left == 0:
            self.done.set()


async def fetch_all(fetch, items):
    collector = Collector(len(items))
    failures = []

    async def one(index, item):
        try:
            collector.fill(index, await fetch(item))
        except Exception as error:
            failures.append(error)
            collector.done.set()

    tasks = [asyncio.create_task(one(i, item)) for i, item in enumerate(items)]
    await collector.done.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if failures:
        raise failures[0]
    return collector.results


async def fetch_all_settled(fetch, items):
    results = await asyncio.gather(
        *[asyncio.ensure_future(fetch(item)) for item in items], return_exceptions=True
    )
    return list(results)
