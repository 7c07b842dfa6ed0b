"""Visible tests of exercise 07. Run them with: pytest exercises/07_queues

`fetch` and `process` here are Probes: fake async functions that take a set time of
*virtual* loop time and record when each call starts and finishes. Virtual time makes
"7 items of 1 s with 3 workers take 3 s" an exact, instant measurement, and lets a test
wait a whole minute of loop time, in no real time, to see whether your function returns.
"""

import asyncio
from collections import Counter

from grader.failure import CheckFailed
from grader.learner import describe_call
from grader.probes import Probe

NEVER_RETURNED = object()
STOP = (
    "Give the consumers a way out once no more items can come: one sentinel per consumer put "
    "after the last item, or `await queue.join()` and then cancel the consumers (and await them). "
    "join() returns only once task_done() has been called for every item put on the queue."
)


def run_until_done(learner, name, *args, probes):
    """Call name(*args); if it has not returned after a minute of loop time, stop waiting."""

    async def scenario(function):
        task = asyncio.ensure_future(function(*args))
        done, _ = await asyncio.wait({task}, timeout=60.0)
        return task.result() if task in done else NEVER_RETURNED

    return learner.run_scenario(name, scenario, text=describe_call(name, args), probes=probes)


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


def check_done(call, process, wanted):
    """It returned, at the moment the last item was processed, with one result per item."""
    finished = [span.end for span in process.spans() if span.end is not None]
    if call.run.value is NEVER_RETURNED:
        if len(finished) == len(wanted):
            raise CheckFailed(
                f"Called {call.text}. Your consumers never stop: the pipeline did not return after all "
                f"items were processed (the last was done at {max(finished, default=0):g} s of loop time).",
                STOP,
            )
        raise CheckFailed(f"Called {call.text}. It never returned, with {len(finished)} of {len(wanted)} processed.", STOP)
    result = call.result()
    expected = [process.expected(item) for item in wanted]
    check(
        isinstance(result, list) and Counter(map(repr, result)) == Counter(map(repr, expected)),
        call,
        f"the result {result!r}",
        f"what process returned for each item, in any order: {sorted(expected)}",
    )
    check(
        sorted(process.calls) == sorted(wanted),
        call,
        f"process called with {process.calls}",
        f"one call per item: {sorted(wanted)}",
    )
    last = max(finished, default=0.0)
    check(
        abs(call.loop_time - last) < 1e-6,
        call,
        f"it return at {call.loop_time:g} s of loop time",
        f"it to return when the last item was done, at {last:g} s",
        "Stop the consumers when the work is done, not after a timeout or a poll.",
    )


def test_process_all_processes_every_item_once(learner):
    """process_all processes every item once, returns the results, and returns when done"""
    items = ["kiwi", "fig", "pear", "apple"]
    process = Probe("process", delay=1.0, result=str.upper)
    call = run_until_done(learner, "process_all", process, items, 2, probes=(process,))
    check_done(call, process, items)


def test_process_all_runs_workers_at_once(learner):
    """process_all with 3 workers processes 7 items of 1 s in 3 s, never more than 3 at once"""
    items = ["kiwi", "fig", "pear", "apple", "plum", "lime", "date"]
    process = Probe("process", delay=1.0, result=str.upper)
    call = run_until_done(learner, "process_all", process, items, 3, probes=(process,))
    check_done(call, process, items)
    check(process.peak == 3, call, f"{process.peak} process calls at once", "exactly 3 (one per worker)")
    check(abs(call.loop_time - 3.0) < 1e-6, call, f"{call.loop_time:g} s of loop time", "3 s")


def test_run_pipeline_processes_every_page_once(learner):
    """run_pipeline fetches every url, processes every page once, and returns when done"""
    fetch = Probe("fetch", delay=1.0, result=lambda url: f"{url} page")
    process = Probe("process", delay=1.0, result=str.upper)
    call = run_until_done(learner, "run_pipeline", fetch, process, [["a1", "a2"], ["b1"]], 2, 1, probes=(fetch, process))
    check_done(call, process, ["a1 page", "a2 page", "b1 page"])
    check(sorted(fetch.calls) == ["a1", "a2", "b1"], call, f"fetch called with {fetch.calls}", "one call per url")


def test_run_pipeline_queue_is_bounded(learner):
    """run_pipeline's producer waits while the queue is full (maxsize 2)"""
    urls = [f"a{n}" for n in range(1, 9)]
    fetch = Probe("fetch", delay=0.25, result=lambda url: f"{url} page")
    process = Probe("process", delay=1.0, result=str.upper)
    call = run_until_done(learner, "run_pipeline", fetch, process, [urls], 1, 2, probes=(fetch, process))
    check_done(call, process, [f"{url} page" for url in urls])
    fetched = [e.at for e in fetch.events if e.kind == "finish"]
    started = [e.at for e in process.events if e.kind == "start"]
    waiting = max(sum(f <= t for f in fetched) - sum(s <= t for s in started) for t in fetched)
    check(
        waiting <= 3,
        call,
        f"up to {waiting} fetched pages waiting for the consumer",
        "at most 3: 2 in the queue, 1 in the hands of the producer waiting to put it",
        "Create the queue with its bound, asyncio.Queue(maxsize), and put with `await queue.put(page)`.",
    )
