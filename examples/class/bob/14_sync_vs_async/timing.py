"""Exercise 14: the same I/O work written synchronously and asynchronously, measured properly.

Read README.md in this folder first. Nothing here does real I/O: the work is passed in.
`fetch_all_sync` gets a plain (blocking) `fetch`: `fetch(item)` returns the result for one
item after a while. `fetch_all_async` gets an async one: `await fetch(item)`. The measuring
functions get the thing to measure and the clock to read, so the tests can hand you a fake
clock and know exactly what you must report.
"""

import asyncio  # noqa: F401  (you will need it)
import time


def fetch_all_sync(fetch, items):
    """The synchronous version: call the blocking fetch(item) for each item, one after
    another, and return the results in the order of `items`."""
    # TODO: call fetch(item) for every item, in order, and return the list of results.
    raise NotImplementedError


async def fetch_all_async(fetch, items):
    """The asynchronous version: await fetch(item) for every item, all at the same time,
    and return the results in the order of `items`."""
    # TODO: start all the fetches together, then return their results in order.
    raise NotImplementedError


def measure_sync(run, clock=time.perf_counter):
    """Call run() (a function taking no arguments) once and return a pair
    (what run() returned, how many seconds it took), read on `clock`.

    clock() returns a time in seconds, like time.perf_counter(); only the difference of two
    readings means something.
    """
    # TODO: read clock() before and after calling run(); return (result, after - before).
    raise NotImplementedError


async def measure_async(run, clock=time.perf_counter):
    """Like measure_sync, for async work: run() returns an awaitable (a coroutine).
    Await it once and return (what it gave, how many seconds the await took on `clock`)."""
    # TODO: the time is spent while the coroutine is awaited, not when run() creates it.
    raise NotImplementedError


def speedup_report(sync_seconds, async_seconds):
    """One line comparing two measurements, exactly in this form:

        "sync 3.500 s, async 2.000 s, speed-up 1.75x, time saved 42.9%"

    - both times in seconds, to the millisecond (3 decimals);
    - speed-up: how many times faster the async run was, to 2 decimals;
    - time saved: how much of the sync time the async run saved, in percent, to 1 decimal
      (negative when the async run was slower).
    """
    # TODO: compute the speed-up and the time saved from the two measurements, then format.
    raise NotImplementedError


def compare(fetch_sync, fetch_async, items, clock=time.perf_counter):
    """The whole comparison, from plain (synchronous) code: measure fetch_all_sync with
    fetch_sync and fetch_all_async with fetch_async, on the same items, both on `clock`;
    return the speedup_report of the two times."""
    # TODO: measure_sync the sync version; run measure_async of the async version on an
    # event loop (asyncio.run); return speedup_report(sync_seconds, async_seconds).
    raise NotImplementedError
