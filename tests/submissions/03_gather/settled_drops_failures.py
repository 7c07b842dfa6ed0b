# expect-fail: test_settled_puts_exceptions_in_place: Returned ['KIWI', 'APPLE'], expected ['KIWI', LookupError('no fig'), TimeoutError('pear timed out'), 'APPLE']
# expect-pass: test_settled_runs_fetches_together
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))


async def fetch_all_settled(fetch, items):
    results = await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
    return [result for result in results if not isinstance(result, Exception)]
