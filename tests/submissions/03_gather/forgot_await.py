# expect-fail: test_fetch_all_keeps_input_order: returned coroutine objects instead of results
# expect-fail: test_settled_runs_fetches_together: tasks created but not awaited
import asyncio


async def fetch_all(fetch, items):
    return [fetch(item) for item in items]


async def fetch_all_settled(fetch, items):
    asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
    return []
