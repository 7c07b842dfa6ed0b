# expect-fail: test_fetch_all_handles_many_items: expected ['result of item-50', 'result of item-49'
# visible-fail: test_fetch_all_returns_results_in_order: in the wrong order
import asyncio


async def fetch_all(fetch, items):
    done, _ = await asyncio.wait([asyncio.create_task(fetch(item)) for item in items])
    return [task.result() for task in done]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
