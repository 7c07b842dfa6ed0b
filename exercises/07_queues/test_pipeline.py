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
TASK_DONE = (
    "Call `queue.task_done()` once for every item a consumer takes with get() (in a `finally:`, so it "
    "also runs when process fails)."
)
EARLY_STOP = (
    "Stop the consumers only when no more items can come (an empty queue may just mean the producers are "
    "still fetching): a sentinel per consumer put after every producer has finished, or `await queue.join()` "
    "after the producers and then cancel them."
)


def run_until_done(learner, name, *args, probes):
    """Call name(*args); if it has not returned after a minute of loop time, stop waiting.

    The call also tells what your tasks left behind: `call.left_running`, the tasks still
    running when it returned (name, and whether it had been cancelled); `call.waiting`, if it
    never returned, what each task was waiting in ("get", "put" or "join") and on which queue.
    """
    left_running, waiting = [], []

    async def scenario(function):
        before = asyncio.all_tasks()

        async def watched():
            try:
                return await function(*args)
            finally:
                for task in asyncio.all_tasks() - before - {asyncio.current_task()}:
                    left_running.append((f"{task.get_coro().__qualname__}()", task.cancelling() > 0))

        task = asyncio.ensure_future(watched())
        done, _ = await asyncio.wait({task}, timeout=60.0)
        if task in done:
            return task.result()
        waiting.extend(queue_waits(asyncio.all_tasks() - before))
        return NEVER_RETURNED

    call = learner.run_scenario(name, scenario, text=describe_call(name, args), probes=probes)
    call.left_running, call.waiting = left_running, waiting
    return call


def queue_waits(tasks):
    """(method, queue) for each task paused in a queue's get(), put() or join(), found along its awaits."""
    found = []
    for task in tasks:
        coroutine = task.get_coro()
        while coroutine is not None:
            frame = getattr(coroutine, "cr_frame", None)
            queue = frame.f_locals.get("self") if frame else None
            if isinstance(queue, asyncio.Queue) and frame.f_code.co_name in ("get", "put", "join"):
                found.append((frame.f_code.co_name, queue))
                break
            coroutine = getattr(coroutine, "cr_await", None)
    return found


def plural(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


def check_done(call, process, wanted):
    """It returned, at the moment the last item was processed, with one result per item."""
    finished = [event.at for event in process.events if event.kind == "finish"]
    cancelled = [event for event in process.events if event.kind == "cancel"]
    last = max(finished, default=0.0)
    noun = "page" if call.function == "run_pipeline" else "item"
    done = f"{len(finished)} of {plural(len(wanted), noun)} processed"
    if call.run.value is NEVER_RETURNED:
        methods = [method for method, _ in call.waiting]
        if len(finished) == len(wanted):
            unfinished = [queue._unfinished_tasks for method, queue in call.waiting if method == "join"]
            if unfinished and unfinished[0] > 0:
                raise CheckFailed(
                    f"Called {call.text}. queue.join() never returned: all {len(wanted)} {noun}s were processed by "
                    f"{last:g} s of loop time, but at {call.loop_time:g} s the queue still counted "
                    f"{plural(unfinished[0], 'unfinished item')}. join() waits until task_done() has been called "
                    "once for every item put on the queue.",
                    TASK_DONE,
                )
            getters = methods.count("get")
            raise CheckFailed(
                f"Called {call.text}. Your consumers never stop: all {len(wanted)} {noun}s were processed by {last:g} s "
                f"of loop time, but at {call.loop_time:g} s it had still not returned"
                + (f", with {plural(getters, 'consumer')} waiting in queue.get() for {noun}s that never come." if getters else "."),
                STOP,
            )
        if "put" in methods and "get" not in methods:
            when = "before the first one arrived" if not process.calls else "before the work was done"
            raise CheckFailed(
                f"Called {call.text}. It never returned, with {done}: your consumers stopped {when}, "
                f"and a producer waited forever to put a {noun} on a full queue that nobody took from any more.",
                EARLY_STOP,
            )
        raise CheckFailed(f"Called {call.text}. It never returned, with {done}.", STOP)
    if isinstance(call.run.error, asyncio.CancelledError):
        raise CheckFailed(
            f"Called {call.text}. Nobody cancelled it, yet it raised CancelledError instead of returning the results: "
            "awaiting a consumer task you cancelled (`await task`, or `asyncio.gather(*consumers)`) raises that "
            "task's CancelledError in your code.",
            "After cancelling the consumers, wait for them with `await asyncio.gather(*consumers, return_exceptions=True)`.",
        )
    result = call.result()
    if call.left_running:
        names = ", ".join(sorted(name for name, _ in call.left_running))
        all_cancelled = all(was_cancelled for _, was_cancelled in call.left_running)
        raise CheckFailed(
            f"Called {call.text}. It returned at {call.loop_time:g} s while {plural(len(call.left_running), 'task')} "
            f"it started {'was' if len(call.left_running) == 1 else 'were'} still running ({names})"
            + (": cancelled, but never awaited, so not stopped yet." if all_cancelled else "."),
            "Await every task you start before you return (gather them, or use a TaskGroup): the producers first "
            "(queue.join() returns at once while nothing has been put yet), then the consumers. If you cancel them, "
            "await them after: `await asyncio.gather(*consumers, return_exceptions=True)`.",
        )
    if len(finished) < len(wanted):
        when = "before the first one arrived" if not process.calls else "before the work was done"
        if cancelled:
            when += f" (process({cancelled[0].item!r}) was cancelled at {cancelled[0].at:g} s)"
        raise CheckFailed(
            f"Called {call.text}. It returned at {call.loop_time:g} s of loop time with {done}: "
            f"your consumers stopped {when}.",
            EARLY_STOP,
        )
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


def test_run_pipeline_runs_producers_together(learner):
    """run_pipeline runs one producer per batch, all at once: 3 batches of 2 urls of 1 s are fetched in 2 s"""
    batches = [["a1", "a2"], ["b1", "b2"], ["c1", "c2"]]
    fetch = Probe("fetch", delay=1.0, result=lambda url: f"{url} page")
    process = Probe("process", delay=0.5, result=str.upper)
    call = run_until_done(learner, "run_pipeline", fetch, process, batches, 3, 3, probes=(fetch, process))
    check_done(call, process, [f"{url} page" for urls in batches for url in urls])
    fetched = max(event.at for event in fetch.events if event.kind == "finish")
    check(
        fetch.peak == len(batches),
        call,
        f"at most {plural(fetch.peak, 'fetch')} at once, the last page fetched at {fetched:g} s of loop time: "
        "the producers ran one after another",
        f"{len(batches)} producers fetching at once, every page fetched by 2 s",
        "Run the producers together: `await asyncio.gather(*(produce(fetch, urls, queue) for urls in batches))` "
        "(or start each as a task), with the consumers already started as tasks. Awaiting one producer, then the "
        "next, runs them one after another.",
    )


def test_run_pipeline_consumers_wait_for_pages(learner):
    """run_pipeline's consumers take each page the moment it is put: they wait in await queue.get()"""
    delays = {"a1": 1.237, "a2": 2.411, "a3": 0.733}  # odd times: no poll period lands on them
    fetch = Probe("fetch", delay=delays.__getitem__, result=lambda url: f"{url} page")
    process = Probe("process", delay=0.5, result=str.upper)
    call = run_until_done(learner, "run_pipeline", fetch, process, [list(delays)], 1, 5, probes=(fetch, process))
    if call.run.error is None and call.run.value is not NEVER_RETURNED:
        ready = {f"{event.item} page": (event.item, event.at) for event in fetch.events if event.kind == "finish"}
        for event in process.events:
            if event.kind == "start" and event.item in ready:
                url, at = ready[event.item]
                check(
                    event.at - at < 1e-6,
                    call,
                    f"fetch({url!r}) return its page at {at:g} s of loop time, but process({event.item!r}) start only at "
                    f"{event.at:g} s: your consumer looks for pages now and then (polling)",
                    f"process({event.item!r}) to start at {at:g} s, the moment the page was put "
                    "(the consumer was free)",
                    "Wait for a page with `item = await queue.get()`: it wakes the consumer the moment a page is put. "
                    "Don't loop over `queue.get_nowait()` with a sleep (or a wait_for timeout) between tries.",
                )
    check_done(call, process, [f"{url} page" for url in delays])


def test_run_pipeline_producers_wait_on_a_full_queue(learner):
    """run_pipeline's producer puts a page the moment there is room on the full queue: it waits in await queue.put()"""
    urls = ["a1", "a2", "a3", "a4", "a5"]
    fetch = Probe("fetch", delay=0.31, result=lambda url: f"{url} page")  # odd times: no poll period lands on them
    process = Probe("process", delay=1.37, result=str.upper)
    call = run_until_done(learner, "run_pipeline", fetch, process, [urls], 1, 1, probes=(fetch, process))
    check_done(call, process, [f"{url} page" for url in urls])
    started = {event.item: event.at for event in fetch.events if event.kind == "start"}
    fetched = {event.item: event.at for event in fetch.events if event.kind == "finish"}
    taken = [event.at for event in process.events if event.kind == "start"]  # a consumer took a page: room was made
    for before, after in zip(urls, urls[1:]):
        at, ready = started[after], fetched[before]
        if at - ready < 1e-6 or any(abs(at - t) < 1e-6 for t in taken):
            continue  # put at once, or the moment the consumer made room
        room = max([ready] + [t for t in taken if t < at])
        check(
            False,
            call,
            f"fetch({before!r}) return its page at {ready:g} s of loop time and room on the queue (maxsize=1) from "
            f"{room:g} s, but fetch({after!r}) start only at {at:g} s: the producer put the page in {at - room:.3g} s late, "
            "so it looks for room now and then (polling)",
            f"fetch({after!r}) to start at {room:g} s, the moment the consumer took a page and made room",
            "Put with `await queue.put(page)`: it waits while the queue is full and goes on the moment a consumer "
            "takes a page. Don't loop over `queue.put_nowait(page)` with a sleep between tries.",
        )
