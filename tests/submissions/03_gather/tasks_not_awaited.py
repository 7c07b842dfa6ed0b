# expect-fail: test_fetch_all_fetches_each_item_once: returned Task objects instead of their results
# expect-fail: test_settled_runs_fetches_together: tasks created but not awaited
import asyncio


async def fetch_all(fetch, items):
    return [asyncio.create_task(fetch(item)) for item in items]


async def fetch_all_settled(fetch, items):
    for item in items:
        asyncio.create_task(fetch(item))
    await asyncio.sleep(0)
    return []
