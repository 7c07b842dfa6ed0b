# expect-fail: test_fetch_all_lets_a_failure_out[fails-first]: instead of raising: the exception was swallowed
# expect-fail: test_fetch_all_lets_a_failure_out[fails-last]: the exception was swallowed
# expect-pass: test_fetch_all_runs_fetches_together
import asyncio


async def fetch_all(fetch, items):
    results = await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
    return [None if isinstance(r, Exception) else r for r in results]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
