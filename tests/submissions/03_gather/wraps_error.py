# expect-fail: test_fetch_all_lets_a_failure_out[fails-first]: it raised RuntimeError: fetch_all failed: no such fruit: fig
# expect-fail: test_fetch_all_lets_a_failure_out[fails-last]: Expected the LookupError: no such fruit: kiwi raised by the failing call to propagate
# expect-pass: test_fetch_all_runs_fetches_together
import asyncio


async def fetch_all(fetch, items):
    try:
        return await asyncio.gather(*(fetch(item) for item in items))
    except Exception as error:
        raise RuntimeError(f"fetch_all failed: {error}") from error


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
