# expect-fail: test_fetch_all_runs_fetches_together: polls instead of waiting
import asyncio


async def fetch_all(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    while not all(task.done() for task in tasks):
        await asyncio.sleep(0)
    return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
