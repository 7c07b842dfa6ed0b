# expect-fail: test_fetch_all_runs_fetches_together: holding InvalidStateError: Result is not set at gather.py:
# expect-fail: test_fetch_all_keeps_input_order: That task had not finished yet
# expect-pass: test_settled_puts_exceptions_in_place
import asyncio


async def fetch_all(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(item)) for item in items]
        return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    return await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
