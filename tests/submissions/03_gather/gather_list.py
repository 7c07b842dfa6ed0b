# expect-fail: test_fetch_all_runs_fetches_together: It raised TypeError
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather([fetch(item) for item in items])


async def fetch_all_settled(fetch, items):
    return await asyncio.gather([fetch(item) for item in items], return_exceptions=True)
