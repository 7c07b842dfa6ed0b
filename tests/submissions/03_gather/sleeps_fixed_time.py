# expect-fail: test_fetch_all_runs_fetches_together: but it returned only at 3 s
import asyncio


async def fetch_all(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    await asyncio.sleep(3)  # "long enough"
    return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
