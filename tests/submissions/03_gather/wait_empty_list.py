# expect-fail: test_fetch_all_handles_many_items: Called fetch_all(fetch, []). It raised ValueError: Set of Tasks/Futures is empty
# expect-pass: test_fetch_all_runs_fetches_together
# expect-pass: test_fetch_all_lets_a_failure_out[fails-first]
# visible-fail: test_fetch_all_of_no_items_returns_an_empty_list: asyncio.wait refuses an empty collection
import asyncio


async def fetch_all(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
