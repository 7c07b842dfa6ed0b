# expect-fail: test_fetch_all_runs_fetches_together: It raised TypeError
# expect-fail: test_fetch_all_lets_a_failure_out[fails-first]: asyncio.gather takes the awaitables as separate arguments
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather([fetch(item) for item in items])


async def fetch_all_settled(fetch, items):
    return await asyncio.gather([fetch(item) for item in items], return_exceptions=True)
