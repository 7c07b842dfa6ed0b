# expect-fail: test_report_states_the_measured_speedup: it is inverted: async / sync
# expect-fail: test_report_rounds_only_what_it_prints: it is inverted
# expect-fail: test_compare_reports_what_it_measured: Fix speedup_report
# visible-fail: test_speedup_report_states_the_figures: 0.57x is 2.0 / 3.5, the speed-up upside down
import asyncio
import time


def fetch_all_sync(fetch, items):
    """Call the blocking fetch(item) for each item, one after another; return the results in order."""
    return [fetch(item) for item in items]


async def fetch_all_async(fetch, items):
    """Await fetch(item) for every item, all at the same time; return the results in order."""
    return await asyncio.gather(*(fetch(item) for item in items))


def measure_sync(run, clock=time.perf_counter):
    """Call run() once; return (what it returned, the seconds it took on `clock`)."""
    start = clock()
    result = run()
    return result, clock() - start


async def measure_async(run, clock=time.perf_counter):
    """Await run() once; return (what it gave, the seconds the await took on `clock`)."""
    start = clock()
    result = await run()
    return result, clock() - start


def speedup_report(sync_seconds, async_seconds):
    """'sync 3.500 s, async 2.000 s, speed-up 1.75x, time saved 42.9%'."""
    speedup = async_seconds / sync_seconds
    saved = (sync_seconds - async_seconds) / sync_seconds * 100
    return f"sync {sync_seconds:.3f} s, async {async_seconds:.3f} s, speed-up {speedup:.2f}x, time saved {saved:.1f}%"


def compare(fetch_sync, fetch_async, items, clock=time.perf_counter):
    """Measure both versions on the same items with `clock`; return their speedup_report."""
    _, sync_seconds = measure_sync(lambda: fetch_all_sync(fetch_sync, items), clock)
    _, async_seconds = asyncio.run(
        measure_async(lambda: fetch_all_async(fetch_async, items), clock)
    )
    return speedup_report(sync_seconds, async_seconds)
