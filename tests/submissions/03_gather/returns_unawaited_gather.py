# expect-fail: test_fetch_all_runs_fetches_together: It returned a future (what asyncio.gather returns) instead of a result
# expect-fail: test_settled_puts_exceptions_in_place: It returned a future (what asyncio.gather returns) instead of a result
import asyncio


async def fetch_all(fetch, items):
    return asyncio.gather(*(fetch(item) for item in items))


async def fetch_all_settled(fetch, items):
    return asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
