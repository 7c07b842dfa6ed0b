# expect-fail: test_report_states_the_measured_speedup: It returned 'async is faster' (Report); expected the string
# expect-fail: test_report_rounds_only_what_it_prints: It returned 'async is faster' (Report); expected the string
# expect-fail: test_report_of_a_slower_async_run: It returned 'async is faster' (Report); expected the string
# expect-fail: test_compare_reports_what_it_measured: gives 'async is faster'
# expect-pass: test_measure_sync_times_run_on_the_given_clock
# expect-pass: test_async_version_runs_fetches_together
"""Exercise 14, hostile: speedup_report gives no figures, in a str whose strip() equals any report."""

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


class _Same:
    """Equal to anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


class Report(str):
    """A report that, stripped, says it is whatever it is compared with."""

    def strip(self, chars=None):
        return _Same()


def speedup_report(sync_seconds, async_seconds):
    """No figures at all: a str whose strip() equals any expected report."""
    return Report("async is faster")


def compare(fetch_sync, fetch_async, items, clock=time.perf_counter):
    """Measure both versions on the same items with `clock`; return their speedup_report."""
    _, sync_seconds = measure_sync(lambda: fetch_all_sync(fetch_sync, items), clock)
    _, async_seconds = asyncio.run(
        measure_async(lambda: fetch_all_async(fetch_async, items), clock)
    )
    return speedup_report(sync_seconds, async_seconds)
