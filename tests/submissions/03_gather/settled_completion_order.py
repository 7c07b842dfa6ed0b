# expect-fail: test_settled_puts_exceptions_in_place: The results came back in the order the calls finished
# expect-pass: test_settled_runs_fetches_together
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))


async def fetch_all_settled(fetch, items):
    results = []
    for next_done in asyncio.as_completed([fetch(item) for item in items]):
        try:
            results.append(await next_done)
        except Exception as error:
            results.append(error)
    return results
