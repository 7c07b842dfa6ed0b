# expect: pass
"""Times the async version from outside the loop: measure_sync around asyncio.run."""

import asyncio
import time


def fetch_all_sync(fetch, items):
    return list(map(fetch, items))


async def fetch_all_async(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    return [await task for task in tasks]


def measure_sync(run, clock=time.perf_counter):
    start = clock()
    result = run()
    end = clock()
    return result, end - start


async def measure_async(run, clock=time.perf_counter):
    # creating the coroutine costs nothing: the clock starts just before the await
    awaitable = run()
    start = clock()
    result = await awaitable
    return result, clock() - start


def speedup_report(sync_seconds, async_seconds):
    speedup = round(sync_seconds / async_seconds, 2)
    saved = round((sync_seconds - async_seconds) / sync_seconds * 100, 1)
    return f"sync {sync_seconds:.3f} s, async {async_seconds:.3f} s, speed-up {speedup:.2f}x, time saved {saved:.1f}%"


def compare(fetch_sync, fetch_async, items, clock=time.perf_counter):
    sync_seconds = measure_sync(lambda: fetch_all_sync(fetch_sync, items), clock)[1]
    async_seconds = measure_sync(
        lambda: asyncio.run(fetch_all_async(fetch_async, items)), clock
    )[1]
    return speedup_report(sync_seconds, async_seconds)
