# expect-fail: test_settled_puts_exceptions_in_place: It raised TimeoutError: pear timed out; fetch_all_settled must never raise
# expect-fail: test_settled_runs_fetches_together: where the fetch of 'b' fails. It raised ValueError: bad b; fetch_all_settled must never raise
# expect-pass: test_fetch_all_lets_a_failure_out[fails-first]
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))


async def _settle(fetch, item):
    try:
        return await fetch(item)
    except LookupError as error:  # a missing item is the failure we expect
        return error


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(*(_settle(fetch, item) for item in items))
