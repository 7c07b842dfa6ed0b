# expect-fail: test_fetch_all_runs_fetches_together: It made a blocking call, time.sleep, at gather.py:11
# expect-fail: test_settled_puts_exceptions_in_place: blocking call, time.sleep
import asyncio
import time


async def fetch_all(fetch, items):
    tasks = [asyncio.ensure_future(fetch(item)) for item in items]
    while not all(task.done() for task in tasks):
        try:
            time.sleep(0.01)  # "wait a little for them"
        except Exception:
            await asyncio.sleep(0.01)
    return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    time.sleep(0.5)
    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)
