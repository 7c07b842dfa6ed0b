# expect-fail: test_fetch_all_keeps_input_order: in the order the calls finished
# visible-fail: test_fetch_all_returns_results_in_order: in the order the calls finished
import asyncio


async def fetch_all(fetch, items):
    results = []
    for next_done in asyncio.as_completed([fetch(item) for item in items]):
        results.append(await next_done)
    return results


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
