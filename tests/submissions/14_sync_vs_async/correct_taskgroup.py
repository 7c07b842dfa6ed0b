# expect: pass
import asyncio
import time
from time import perf_counter


def fetch_all_sync(fetch, items):
    results = []
    for item in items:
        results.append(fetch(item))
    return results


async def fetch_all_async(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(item)) for item in items]
    return [task.result() for task in tasks]


def measure_sync(run, clock=perf_counter):
    before = clock()
    try:
        return run(), clock() - before
    finally:
        pass


async def measure_async(run, clock=time.perf_counter):
    before = clock()
    value = await run()
    after = clock()
    return (value, after - before)


def speedup_report(sync_seconds, async_seconds):
    ratio = sync_seconds / async_seconds
    saved_percent = 100 * (1 - async_seconds / sync_seconds)
    return f"sync {sync_seconds:.3f} s, async {async_seconds:.3f} s, speed-up {ratio:.2f}x, time saved {saved_percent:.1f}%"


def compare(fetch_sync, fetch_async, items, clock=time.perf_counter):
    _results, sync_seconds = measure_sync(
        lambda: fetch_all_sync(fetch_sync, items), clock
    )

    async def measured():
        return await measure_async(lambda: fetch_all_async(fetch_async, items), clock)

    with asyncio.Runner() as runner:
        _results, async_seconds = runner.run(measured())
    return speedup_report(sync_seconds, async_seconds)
