# expect: pass
# Creates every task first and then awaits them one by one (they all run meanwhile), times
# with a try/finally, and runs the async version on an event loop of its own.
import asyncio
import time


def fetch_all_sync(fetch, items):
    return list(map(fetch, items))


async def fetch_all_async(fetch, items):
    tasks = [asyncio.ensure_future(fetch(item)) for item in items]
    return [await task for task in tasks]


def measure_sync(run, clock=time.perf_counter):
    started = clock()
    result = run()
    elapsed = clock() - started
    return result, elapsed


async def measure_async(run, clock=time.perf_counter):
    started = clock()
    task = asyncio.create_task(run())
    result = await task
    return result, clock() - started


def speedup_report(sync_seconds, async_seconds):
    times_faster = sync_seconds / async_seconds
    saved_percent = 100 * (1 - async_seconds / sync_seconds)
    return (
        f"sync {sync_seconds:.3f} s, async {async_seconds:.3f} s, "
        f"speed-up {times_faster:.2f}x, time saved {saved_percent:.1f}%"
    )


def compare(fetch_sync, fetch_async, items, clock=time.perf_counter):
    _, sync_seconds = measure_sync(lambda: fetch_all_sync(fetch_sync, items), clock)
    loop = asyncio.new_event_loop()
    try:
        _, async_seconds = loop.run_until_complete(
            measure_async(lambda: fetch_all_async(fetch_async, items), clock)
        )
    finally:
        loop.close()
    return speedup_report(sync_seconds, async_seconds)
