# expect-fail: test_fetch_all_handles_many_items: 50 fetch calls took 17 s of loop time with at most 10 running at once; all 50 at the same time take 5 s
# expect-pass: test_fetch_all_runs_fetches_together
# expect-pass: test_fetch_all_keeps_input_order
# visible-fail: test_fetch_all_runs_many_fetches_together: with at most 10 running at once; all 20 at the same time take 5 s
import asyncio


async def fetch_all(fetch, items):
    limit = asyncio.Semaphore(10)  # be polite: at most 10 requests at a time

    async def one(item):
        async with limit:
            return await fetch(item)

    return await asyncio.gather(*(one(item) for item in items))


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
