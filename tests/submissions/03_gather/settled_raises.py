# expect-fail: test_settled_puts_exceptions_in_place: fetch_all_settled must never raise
# expect-pass: test_fetch_all_lets_a_failure_out[fails-first]
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))


async def fetch_all_settled(fetch, items):
    return await fetch_all(fetch, items)
