# expect-fail: test_settled_puts_exceptions_in_place: is a new LookupError, not the exception object the call raised
# expect-pass: test_fetch_all_runs_fetches_together
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))


async def _settle(fetch, item):
    try:
        return await fetch(item)
    except Exception as error:
        return type(error)(*error.args)  # a copy, not the original


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(_settle(fetch, item) for item in items))
