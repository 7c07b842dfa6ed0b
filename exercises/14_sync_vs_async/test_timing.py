"""Visible tests of exercise 14. Run them with: pytest exercises/14_sync_vs_async

Nothing here waits for real, and no real clock is read. `clock` is a fake clock: it reads
like time.perf_counter() (seconds, from an arbitrary origin) but moves only when the fake
*blocking* fetch "waits" (it adds its delay to the clock instead of sleeping) and with the
*virtual* loop time of the event loops (asyncio.sleep there takes no real time). So a test
knows to the digit what your measurements must say.
"""

import asyncio
import inspect
import threading
import time
import traceback
from contextlib import contextmanager

import looptime

from grader import expect, messages
from grader.failure import CheckFailed
from grader.learner import describe_call, known_advice
from grader.probes import Probe

# One after another: 1 + 2 + 0.5 = 3.5 s. All at once: 2 s, the longest.
DELAYS = {"b": 1.0, "c": 2.0, "a": 0.5}
POLLING = (
    "the event loop ran 20,000 steps without finishing: a loop like "
    "`while not done: await asyncio.sleep(0)` polls instead of waiting"
)
ZERO = (
    "A time measured as 0 s: a version was timed without its work running. The sync version gets fetch_sync "
    "and is timed with measure_sync; the async one gets fetch_async, and measure_async must await it, run by "
    "asyncio.run. Both read `clock`."
)
REPORT = "sync 3.500 s, async 2.000 s, speed-up 1.75x, time saved 42.9%"
FORMULAS = (
    "speed-up = sync_seconds / async_seconds; time saved = (sync_seconds - async_seconds) / sync_seconds "
    "* 100; times to 3 decimals, speed-up to 2, time saved to 1."
)
SHORT = 0.0026  # not a whole number of milliseconds: a rounded measurement shows


class Clock:
    """clock() reads 1234.5 s at the start, then moves with blocking waits and loop time."""

    name = "clock"

    def __init__(self):
        self.blocked = 0.0
        self.loops = []  # every event loop of the test starts at loop time 0
        self.reads = 0  # how often your code read it

    def __call__(self):
        self.reads += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and loop not in self.loops:
            self.loops.append(loop)
        return 1234.5 + self.blocked + sum(loop.time() for loop in self.loops)


async def fetch_async(item):
    """An async fetch(item): takes its delay of loop time."""
    await asyncio.sleep(DELAYS[item])
    return f"result of {item}"


class BlockingFetch:
    """A plain fetch(item) that 'blocks' for its delay: it moves the clock instead of sleeping."""

    def __init__(self, clock, name="fetch"):
        self.clock, self.name, self.calls, self.threads = clock, name, [], set()

    def __call__(self, item):
        self.calls.append(item)
        self.threads.add(threading.get_ident())
        self.clock.blocked += DELAYS[item]
        return f"result of {item}"


@contextmanager
def virtual_time(clock):
    """Make every event loop started meanwhile (asyncio.run) a virtual-time one the clock counts."""
    policy = asyncio.get_event_loop_policy()
    original = policy.new_event_loop

    def new_event_loop():
        loop = looptime.patch_event_loop(original(), end=100)
        # what went wrong is reported by the test, not logged by the loop
        loop.set_exception_handler(lambda _loop, _context: None)
        clock.loops.append(loop)
        step, steps = loop._run_once, [0]

        def counted_step():  # a busy wait never lets virtual time pass: stop it
            steps[0] += 1
            if steps[0] > 20_000:
                raise RuntimeError(POLLING)
            step()

        loop._run_once = counted_step
        return loop

    policy.new_event_loop = new_event_loop
    try:
        yield
    finally:
        del policy.new_event_loop


def call_plain(learner, name, *args):
    """Call a plain (def) function of yours; an error becomes a message naming your line."""
    text = describe_call(name, args)
    try:
        got = learner.function(name)(*args)
        if inspect.iscoroutine(got):
            got.close()
            raise CheckFailed(
                f"Called {text}. It returned a coroutine object: {name} is `async def`, so calling it from plain "
                "code runs nothing of it.",
                f"Make it a plain `def {name}(...)`; where it needs async code, run that with `asyncio.run(...)`.",
            )
        return got
    except CheckFailed:  # your file could not be loaded, or the message above
        raise
    except Exception as error:  # noqa: BLE001  (your code may raise anything: it is reported)
        mine = [
            f
            for f in traceback.extract_tb(error.__traceback__)
            if f.filename in learner.files
        ]
        if (
            isinstance(error, NotImplementedError)
            and mine
            and mine[-1].name in learner.exercise.functions
        ):
            raise CheckFailed(
                messages.NOT_IMPLEMENTED.format(
                    function=mine[-1].name, readme=learner.exercise.readme
                )
            ) from None
        at = (
            f" at {learner.exercise.filename}:{mine[-1].lineno} (`{mine[-1].line}`)"
            if mine
            else ""
        )
        raise CheckFailed(f"Called {text}. It raised {type(error).__name__}: {error}{at}.", known_advice(error)) from None


def test_sync_version_calls_fetch_once_per_item(learner):
    """fetch_all_sync calls the blocking fetch for each item, in order, in its own thread, and returns the results"""
    clock = Clock()
    fetch = BlockingFetch(clock)
    got = call_plain(learner, "fetch_all_sync", fetch, ["b", "c", "a"])
    if fetch.threads - {threading.get_ident()}:
        raise CheckFailed(
            "Called fetch_all_sync(fetch, ['b', 'c', 'a']). It called fetch from other threads (a thread pool?): "
            "the sync version is the baseline async is compared with, each fetch after the one before, "
            "in the caller's thread.",
            "`return [fetch(item) for item in items]`: no threads and no asyncio in the sync version.",
        )
    if fetch.calls != ["b", "c", "a"]:
        raise CheckFailed(
            f"Called fetch_all_sync(fetch, ['b', 'c', 'a']). fetch was called with {fetch.calls}; expected "
            "['b', 'c', 'a']: once per item, in order.",
            "`return [fetch(item) for item in items]`: no asyncio in the sync version.",
        )
    if got != ["result of b", "result of c", "result of a"]:
        raise CheckFailed(
            f"Called fetch_all_sync(fetch, ['b', 'c', 'a']). It returned {got!r}; expected "
            "['result of b', 'result of c', 'result of a'].",
            "Return what each fetch(item) returned, in the order of items.",
        )


def test_async_version_runs_fetches_together(learner):
    """fetch_all_async runs fetches of 1, 2 and 0.5 s together: 2 s of loop time, not 3.5 s"""
    fetch = Probe(delay=DELAYS.__getitem__)
    call = learner.run("fetch_all_async", fetch, ["b", "c", "a"])
    concept = "asyncio.gather(*(fetch(item) for item in items))"
    expect.ran_together(call, fetch, concept=concept, items=["b", "c", "a"])
    expect.results(
        call, ["result of b", "result of c", "result of a"], fetch, concept=concept
    )


def test_measure_sync_reads_the_given_clock(learner):
    """measure_sync(run, clock) returns (what run returned, 2.5) when run takes 2.5 s on clock"""
    clock = Clock()

    def run():
        clock.blocked += 2.5
        return "the report"

    got = call_plain(learner, "measure_sync", run, clock)
    if got != ("the report", 2.5) and got != ["the report", 2.5]:
        raise CheckFailed(
            f"Called measure_sync(run, clock), where run() takes 2.5 s on clock and returns 'the report'. "
            f"It returned {got!r}; expected ('the report', 2.5).",
            "`start = clock()`, `result = run()`, `return result, clock() - start`: the clock you are given, not time.time().",
        )
    clock = Clock()

    def short_run():
        clock.blocked += SHORT
        return "the report"

    got = call_plain(learner, "measure_sync", short_run, clock)
    not_rounded(f"measure_sync(run, clock), where run() takes {SHORT} s on clock", got)


def not_rounded(text, got):
    """got must be ('the report', SHORT): the difference of two readings, as it is."""
    seconds = got[1] if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if isinstance(seconds, (int, float)) and abs(seconds - SHORT) < 1e-9:
        return
    rounded = isinstance(seconds, (int, float)) and any(
        abs(seconds - round(SHORT, decimals)) < 1e-9 for decimals in range(4)
    )
    raise CheckFailed(
        f"Called {text}. It returned {got!r}; expected ('the report', {SHORT}) (to within a nanosecond)"
        + (
            f": {seconds:g} s is the measured time, rounded. A speed-up computed from it is then "
            "computed from a rounded number."
            if rounded
            else "."
        ),
        "Return the difference as it is, `clock() - start`; round only when printing (speedup_report).",
    )


def test_measure_async_times_the_await(learner):
    """measure_async(run, clock) returns (what run gave, 2.5) when awaiting run() takes 2.5 s"""
    clock = Clock()
    work = Probe("work", delay=2.5, result=lambda _item: "the report")

    def run():
        return work("job")

    call = learner.run("measure_async", run, clock)
    got = call.result()
    if work.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called run() but never awaited what it returned, so the work never ran.",
            "`result = await run()`, between the two readings of the clock.",
        )
    if got != ("the report", 2.5) and got != ["the report", 2.5]:
        raise CheckFailed(
            f"Called {call.text}, where awaiting run() takes 2.5 s and gives 'the report'. It returned {got!r}; "
            "expected ('the report', 2.5).",
            "`start = clock()`, `result = await run()`, `return result, clock() - start`: the time passes during "
            "the await, not when run() creates the coroutine.",
        )
    if not clock.reads:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r} but never called the clock it was given: it timed on "
            "another clock that happened to agree here (the event loop's own loop.time()?). In a benchmark "
            "the clock handed in is time.perf_counter, in a test a fake; either way it is the one to read.",
            "`start = clock()`, `result = await run()`, `return result, clock() - start`.",
        )
    clock = Clock()
    short_work = Probe("work", delay=SHORT, result=lambda _item: "the report")
    call = learner.run("measure_async", lambda: short_work("job"), clock)
    not_rounded(
        f"measure_async(run, clock), where awaiting run() takes {SHORT} s",
        call.result(),
    )


def test_measure_clock_defaults_to_perf_counter(learner):
    """Without a clock, measure_sync and measure_async time with time.perf_counter"""
    sync_got = call_plain(learner, "measure_sync", lambda: "the report")
    work = Probe("work", delay=0.0, result=lambda _item: "the report")
    async_got = learner.run("measure_async", lambda: work("job")).result()
    for name, got in (("measure_sync", sync_got), ("measure_async", async_got)):
        if (
            not isinstance(got, (tuple, list))
            or len(got) != 2
            or got[0] != "the report"
        ):
            raise CheckFailed(
                f"Called {name}(run), without a clock. It returned {got!r}; expected ('the report', the "
                "seconds it took on the default clock).",
                "`start = clock()`, do the work, `return result, clock() - start`.",
            )
    for name in ("measure_sync", "measure_async"):
        clock = inspect.signature(learner.function(name)).parameters.get("clock")
        default = clock.default if clock is not None else None
        if default is time.perf_counter:
            continue
        found = (
            "time.time"
            if default is time.time
            else "time.monotonic"
            if default is time.monotonic
            else "nothing (clock is required)"
            if clock is None or default is inspect.Parameter.empty
            else repr(default)
        )
        raise CheckFailed(
            f"Looked at {name}'s signature: clock defaults to {found}; expected time.perf_counter, the clock "
            "made for durations (monotonic, with the highest resolution available). time.time is the wall "
            "clock: the system may set it while you measure, and on some systems it moves in steps of 16 ms.",
            f"`def {name}(run, clock=time.perf_counter)`.",
        )


def check_report(learner, sync_seconds, async_seconds, wanted, mistakes=(), advice=FORMULAS):
    """speedup_report(sync_seconds, async_seconds) returns ``wanted``; ``mistakes``: (a test of what it
    returned, the mistake that explains it) pairs."""
    got = call_plain(learner, "speedup_report", sync_seconds, async_seconds)
    if got != wanted:
        said = [why for test, why in mistakes if isinstance(got, str) and test(got)]
        why = f": {'; '.join(said)}" if said else ""
        raise CheckFailed(
            f"Called speedup_report({sync_seconds}, {async_seconds}). It returned {got!r}; expected {wanted!r}{why}.",
            advice,
        )


def test_speedup_report_states_the_figures(learner):
    """speedup_report(3.5, 2.0) is "sync 3.500 s, async 2.000 s, speed-up 1.75x, time saved 42.9%" """
    check_report(learner, 3.5, 2.0, REPORT, (
        (lambda got: "speed-up 0.57x" in got,
         "0.57x is 2.0 / 3.5, the speed-up upside down; it is sync / async, how many times faster async was"),
        (lambda got: "time saved 75.0%" in got,
         "75.0% divides the time saved by the async time; divide by the sync time, the time you started from"),
    ))


def test_speedup_report_of_a_slower_async_run(learner):
    """speedup_report(0.004, 0.005): async was slower, speed-up 0.80x, time saved -25.0%"""
    check_report(
        learner, 0.004, 0.005, "sync 0.004 s, async 0.005 s, speed-up 0.80x, time saved -25.0%",
        ((lambda got: got.endswith("time saved 25.0%"),
          "async took longer, so it saved less than nothing. The time saved is negative (no abs(), no max(0, ...))"),),
    )


def test_speedup_report_rounds_only_when_printing(learner):
    """speedup_report(0.0104, 0.0026) says speed-up 4.00x, not the 3.33x of the rounded 0.010 / 0.003"""
    check_report(
        learner, 0.0104, 0.0026, "sync 0.010 s, async 0.003 s, speed-up 4.00x, time saved 75.0%",
        ((lambda got: "3.33x" in got or "70.0%" in got,
          "the speed-up and time saved were computed from the times rounded to the millisecond "
          "(0.010 / 0.003 = 3.33), not from the measured 0.0104 and 0.0026"),),
        "Compute from the numbers you are given and round only in the f-string: "
        '`f"{sync_seconds:.3f} s"`, `f"{speedup:.2f}x"`, `f"{saved:.1f}%"`. ' + FORMULAS,
    )


def test_compare_reports_what_it_measured(learner):
    """compare, plain code, measures both versions on the clock it is given and reports them"""
    clock = Clock()
    fetch_sync = BlockingFetch(clock, "fetch_sync")
    try:
        with virtual_time(clock):
            got = call_plain(
                learner, "compare", fetch_sync, fetch_async, ["b", "c", "a"], clock
            )
    except CheckFailed as failure:
        if "ZeroDivisionError" in failure.message:
            raise CheckFailed(failure.message, ZERO) from None
        raise
    if got != REPORT:
        raise CheckFailed(
            f"Called compare(fetch_sync, fetch_async, ['b', 'c', 'a'], clock). On that clock the sync version "
            f"takes 3.5 s and the async one 2 s. It returned {got!r}; expected {REPORT!r}.",
            "Measure fetch_all_sync(fetch_sync, items) with measure_sync and fetch_all_async(fetch_async, items) "
            "with measure_async run by asyncio.run, both with `clock`; return speedup_report of the two times.",
        )
