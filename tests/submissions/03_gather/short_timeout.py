# expect-fail: test_fetch_all_keeps_input_order: It raised TimeoutError at gather.py:
# expect-fail: test_fetch_all_handles_many_items: It raised TimeoutError
# expect-pass: test_fetch_all_runs_fetches_together
# visible-fail: test_fetch_all_runs_many_fetches_together: a time limit cut off the fetches that take longer
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(
        *(asyncio.wait_for(fetch(item), timeout=3) for item in items)
    )


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
