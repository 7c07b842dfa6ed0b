# expect-fail: test_fetch_all_lets_a_failure_out[fails-first]: task.result() only reads a finished task
# expect-pass: test_fetch_all_lets_a_failure_out[fails-last]
# expect-pass: test_fetch_all_runs_fetches_together
# visible-fail: test_fetch_all_lets_a_failure_out: task.result() only reads a finished task
import asyncio


async def fetch_all(fetch, items):
    if not items:
        return []
    tasks = [asyncio.ensure_future(fetch(item)) for item in items]
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    if not items:
        return []
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    await asyncio.wait(tasks)
    return [task.exception() or task.result() for task in tasks]
