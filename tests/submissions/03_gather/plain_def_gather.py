# expect-fail: test_fetch_all_runs_fetches_together: fetch_all must be a coroutine function: define it with `async def`, not `def`
# expect-fail: test_fetch_all_keeps_input_order: starts the fetches the moment fetch_all is called
# expect-fail: test_settled_puts_exceptions_in_place: fetch_all_settled must be a coroutine function
import asyncio


def fetch_all(fetch, items):
    return asyncio.gather(*(fetch(item) for item in items))


def fetch_all_settled(fetch, items):
    return asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
