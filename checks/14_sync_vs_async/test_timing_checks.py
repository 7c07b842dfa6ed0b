"""Hidden checks of exercise 14: the same fetches written sync and async, measured and reported.

Nothing here reads a real clock. Every function that measures is handed ``clock``, a fake
that reads like ``time.perf_counter`` (seconds from an arbitrary origin) but moves only
(a) while a fake *blocking* fetch "waits": it adds its delay to the clock instead of
sleeping, and (b) with the loop time of the virtual-time event loops it knows. So the
sync version's 3 fetches of 1, 2 and 0.5 s move the clock exactly 3.5 s, the async
version's exactly 2 s, and the checks know to the digit what the learner must report.

The sync functions are plain code and run here, outside any event loop (a real blocking
fetch inside the loop is the mistake being taught); every event loop they start
(``asyncio.run``) is a virtual-time loop with blockbuster watching, a callback budget and
a loop-time limit. The async functions run on the harness's loop (``learner.run``).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import math
import re
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import looptime
import pytest

from grader import expect, messages
from grader.blocking import (
    BlockingCall,
    BudgetExceeded,
    Location,
    Recorder,
    guard_calls,
    learner_location,
)
from grader.failure import CheckFailed
from grader.learner import describe_call, error_text, first_leaf, line_of, short
from grader.probes import Probe
from grader.timeline import Span

EXACT = expect.EXACT
START = 1234.5  # the fake clock's first reading: like perf_counter's, its origin means nothing
LIMIT = 100.0  # s of loop time an event loop started by plain code may run before it counts as hung
BUDGET = 50_000  # loop callbacks: far above what a correct solution needs; a busy wait passes it fast

ITEMS = ["b", "c", "a"]  # not in sorted order
DELAYS = {"b": 1.0, "c": 2.0, "a": 0.5}
SYNC_TOTAL = sum(DELAYS.values())  # 3.5 s: one after another
ASYNC_TOTAL = max(DELAYS.values())  # 2 s: all at once

UNAWAITED = re.compile(r"coroutine '([^']+)' was never awaited")
GATHER = "asyncio.gather(*(fetch(item) for item in items))"
FORM = "sync 3.500 s, async 2.000 s, speed-up 1.75x, time saved 42.9%"
TIME_TIME = (
    "Read the clock you are given: `start = clock()` ... `clock() - start`. (Its default is "
    "time.perf_counter, the clock made for durations. time.time() is the wall clock: the system "
    "may set it forward or back while you measure, and on some systems it moves in steps of about "
    "16 ms, so a time.time() difference shown to the millisecond only looks precise.)"
)
PLAIN = (
    "{name} is plain code: define it with `def`, not `async def`. It is called where no event "
    "loop runs (the sync version is the baseline, and it is measured from plain code)."
)


def secs(value: float) -> str:
    return f"{value:g} s"


# --- the fakes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    value: float
    in_loop: bool
    mark: Any = None  # what the check's marker said at that moment


class Clock:
    """The ``clock`` handed to the learner: ``clock()`` is seconds, from an arbitrary origin."""

    name = "clock"  # how describe_call shows it

    def __init__(self) -> None:
        self.blocked = 0.0  # seconds the fake blocking calls "waited"
        self.loops: list[asyncio.AbstractEventLoop] = []  # each starts at loop time 0
        self.reads: list[Read] = []
        # a check may note, with each reading, how far the work had got
        self.marker: Any = lambda: None

    def now(self) -> float:
        """The reading, without counting it as one of the learner's."""
        loop = _running_loop()
        if loop is not None and not any(known is loop for known in self.loops):
            self.loops.append(loop)
        return START + self.blocked + sum(known.time() for known in self.loops)

    def __call__(self) -> float:
        value = self.now()
        self.reads.append(Read(value, _running_loop() is not None, self.marker()))
        return value


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def result_of(item: Any) -> str:
    return f"result of {item}"


class BlockingFetch:
    """A plain ``fetch(item)``: "blocks" for its delay by moving the clock (no real sleep).

    It notes each call made while an event loop ran in this thread (a blocking call that
    freezes the loop) and each call made from another thread.
    """

    def __init__(self, clock: Clock, name: str, files: frozenset[str]) -> None:
        self.clock = clock
        self.name = name
        self.files = files
        self.calls: list[Any] = []
        self.in_loop: list[tuple[Any, Location | None]] = []
        self.threaded: list[Any] = []
        self.thread = threading.get_ident()

    def __call__(self, item: Any) -> str:
        self.calls.append(item)
        if _running_loop() is not None:
            self.in_loop.append((item, learner_location(sys._getframe(1), self.files)))
        if threading.get_ident() != self.thread:
            self.threaded.append(item)
        self.clock.blocked += DELAYS.get(item, 1.0)
        return result_of(item)


class AsyncFetch:
    """An async ``fetch(item)`` that works on any event loop (asyncio.run's included): it
    takes its delay in loop time and records calls made outside any loop, peak in flight,
    and coroutines never awaited."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[Any] = []
        self.outside_loop = (
            0  # calls made by plain code: a coroutine nothing can await there
        )
        self.in_flight = 0
        self.peak = 0
        self.finished = 0
        self._handed_out: list[Any] = []
        self._entered = 0

    def __call__(self, item: Any) -> Any:
        self.calls.append(item)
        if _running_loop() is None:
            self.outside_loop += 1
        coroutine = self._run(item)
        coroutine.__qualname__ = f"{self.name}({item!r})"
        self._handed_out.append(coroutine)
        return coroutine

    async def _run(self, item: Any) -> str:
        self._entered += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(DELAYS.get(item, 1.0))
        finally:
            self.in_flight -= 1
        self.finished += 1
        return result_of(item)

    def never_awaited(self) -> int:
        for coroutine in self._handed_out:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self.calls) - self._entered


class BlockingWork:
    """The ``run`` handed to measure_sync: takes no arguments, "blocks" ``seconds`` on the clock."""

    name = "run"

    def __init__(self, clock: Clock, seconds: float, result: Any) -> None:
        self.clock, self.seconds, self.result = clock, seconds, result
        self.calls: list[tuple] = []  # one () per call: run takes no arguments
        self.ended: float | None = None  # the clock's reading when it returned

    def __call__(self) -> Any:
        self.calls.append(())
        self.clock.blocked += self.seconds
        self.ended = self.clock.now()
        return self.result

    def never_awaited(self) -> int:
        return 0


class AsyncWork:
    """The ``run`` handed to measure_async: ``run()`` returns a coroutine taking ``seconds``
    of loop time. Shaped like a probe, so the harness draws it and closes what never ran."""

    name = "run"

    def __init__(self, clock: Clock, seconds: float, result: Any) -> None:
        self.clock, self.seconds, self.result = clock, seconds, result
        self.calls: list[
            tuple
        ] = []  # one () per call, as the harness reads a probe's calls
        self.entered = 0
        self.ended: float | None = None
        self._coroutines: list[Any] = []
        self._span: tuple[float, float | None] | None = None

    def __call__(self) -> Any:
        self.calls.append(())
        coroutine = self._work()
        coroutine.__qualname__ = "run()"
        self._coroutines.append(coroutine)
        return coroutine

    async def _work(self) -> Any:
        self.entered += 1
        loop = asyncio.get_running_loop()
        self._span = (loop.time(), None)
        await asyncio.sleep(self.seconds)
        self._span = (self._span[0], loop.time())
        self.ended = self.clock.now()
        return self.result

    def never_awaited(self) -> int:
        for coroutine in self._coroutines:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self.calls) - self.entered

    def spans(self) -> list[Span]:
        if self._span is None:
            return []
        start, end = self._span
        return [Span("run()", start, end, "finish" if end is not None else "running")]


# --- calling plain (sync) functions of the learner ---------------------------------------


@dataclass
class PlainCall:
    """One direct call of a plain function of the learner, and what the guards saw."""

    function: str
    text: str
    value: Any = None
    error: BaseException | None = None
    loops: list[asyncio.AbstractEventLoop] = field(default_factory=list)
    blocking: list[BlockingCall] = field(default_factory=list)
    busy: bool = False
    # coroutines created and dropped unawaited
    unawaited: list[str] = field(default_factory=list)


@contextmanager
def no_current_loop() -> Iterator[None]:
    """As in a program that has not started asyncio yet: no event loop set for this thread."""
    policy = asyncio.get_event_loop_policy()
    previous = getattr(getattr(policy, "_local", None), "_loop", None)
    policy.set_event_loop(None)
    try:
        yield
    finally:
        policy.set_event_loop(
            previous if previous is not None and not previous.is_closed() else None
        )


@contextmanager
def virtual_loops(
    clock: Clock, made: list[asyncio.AbstractEventLoop]
) -> Iterator[None]:
    """Every event loop created meanwhile (asyncio.run, new_event_loop) runs on virtual time
    from 0, ends at LIMIT s of loop time, counts on ``clock`` and is kept in ``made``."""
    policy = asyncio.get_event_loop_policy()
    original = policy.new_event_loop

    def new_event_loop() -> asyncio.AbstractEventLoop:
        loop = looptime.patch_event_loop(original(), end=LIMIT)
        # a timer always pending: a hang runs into the end of time
        loop.call_at(LIMIT + 1, lambda: None)
        # what is lost is judged by the check, not logged by the loop
        loop.set_exception_handler(lambda _loop, _context: None)
        made.append(loop)
        clock.loops.append(loop)
        return loop

    policy.new_event_loop = new_event_loop
    try:
        yield
    finally:
        del policy.new_event_loop


@contextmanager
def callback_budget(made: list[asyncio.AbstractEventLoop]) -> Iterator[None]:
    """Stop a busy wait (`while ...: await asyncio.sleep(0)` never lets virtual time pass):
    past BUDGET callbacks on the loops in ``made``, raise BudgetExceeded."""
    original = asyncio.events.Handle._run
    left = [BUDGET]

    def counted_run(handle: asyncio.Handle) -> None:
        original(handle)
        if any(handle._loop is loop for loop in made):
            left[0] -= 1
            if left[0] < 0:
                raise BudgetExceeded

    asyncio.events.Handle._run = counted_run
    try:
        yield
    finally:
        asyncio.events.Handle._run = original


def call_plain(
    learner, name: str, *args: Any, clock: Clock, collect: bool = False
) -> PlainCall:
    """Call the plain function ``name(*args)`` here, outside any event loop.

    With ``collect``, also name the coroutines it created and dropped unawaited (a full
    garbage collection: some 15 ms, so only where that is what a check looks for).
    """
    function = learner.function(name)
    if inspect.iscoroutinefunction(function):
        raise CheckFailed(PLAIN.format(name=name), f"Write `def {name}(...)`.")
    call = PlainCall(name, describe_call(name, args))
    recorder = Recorder(
        learner.files, clock=lambda: call.loops[-1].time() if call.loops else 0.0
    )
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always", RuntimeWarning)
        with (
            no_current_loop(),
            virtual_loops(clock, call.loops),
            callback_budget(call.loops),
            guard_calls(recorder),
        ):
            try:
                call.value = function(*args)
            except BudgetExceeded:
                call.busy = True
            except Exception as error:  # noqa: BLE001  (the learner's code: anything; judged below)
                call.error = error
        if inspect.iscoroutine(call.value):
            call.value.close()
        if (
            call.error is not None
        ):  # its traceback keeps the learner's locals (a dropped coroutine?) alive
            traceback.clear_frames(call.error.__traceback__)
        if collect:
            gc.collect()  # a coroutine dropped unawaited warns when it is collected
    call.unawaited = [
        m.group(1) for w in warned if (m := UNAWAITED.search(str(w.message)))
    ]
    call.blocking = recorder.calls
    for loop in call.loops:  # closed here, so a failing check leaves nothing behind
        for task in asyncio.all_tasks(loop):
            task._log_destroy_pending = False
        if not loop.is_closed() and not loop.is_running():
            loop.close()
    return call


def fail_on_what_is_never_right(call: PlainCall, learner) -> None:
    """Blocking, a busy wait, a hang, an unfinished stub, asyncio.run inside a loop."""
    if call.blocking:
        first = call.blocking[0]
        key = next(
            (k for k in messages.BLOCKING_ADVICE if first.what.startswith(k)), "default"
        )
        raise CheckFailed(
            messages.BLOCKING_CALL.format(
                call=call.text,
                what=first.what,
                where=first.where or learner.exercise.filename,
            ),
            messages.BLOCKING_ADVICE[key],
        )
    if call.busy:
        raise CheckFailed(
            messages.BUSY_WAIT.format(
                call=call.text,
                callbacks=BUDGET,
                loop_time=sum(loop.time() for loop in call.loops),
            ),
            messages.BUSY_WAIT_ADVICE,
        )
    error = call.error
    if error is None:
        return
    frames = traceback.extract_tb(error.__traceback__)
    if (
        isinstance(error, NotImplementedError)
        and frames
        and frames[-1].filename in learner.files
    ):
        raise CheckFailed(
            messages.NOT_IMPLEMENTED.format(
                function=frames[-1].name, readme=learner.exercise.readme
            ),
            messages.NOT_IMPLEMENTED_LINE.format(where=line_of(error, learner)),
        )
    if isinstance(error, looptime.LoopTimeoutError):
        raise CheckFailed(
            messages.HUNG.format(
                call=call.text, limit=LIMIT, expected=" in the event loop it started"
            ),
            messages.HUNG_ADVICE.format(causes="; ".join(messages.DEFAULT_HANG_CAUSES)),
        )
    if isinstance(
        error, RuntimeError
    ) and "cannot be called from a running event loop" in str(error):
        raise CheckFailed(
            messages.NESTED_RUN.format(call=call.text, what="asyncio.run()")
        )


def fail_on_error(call: PlainCall, learner, advice: str | None = None) -> None:
    if call.error is not None:
        raise CheckFailed(
            messages.RAISED.format(
                call=call.text,
                error=error_text(call.error),
                where=line_of(call.error, learner),
            ),
            advice,
        )


# --- fetch_all_sync -----------------------------------------------------------------------


@pytest.mark.points(2)
def test_sync_version_fetches_one_after_another(learner):
    """fetch_all_sync calls the blocking fetch once per item, in order, in plain code: 3.5 s for 1 + 2 + 0.5 s"""
    clock = Clock()
    fetch = BlockingFetch(clock, "fetch", learner.files)
    call = call_plain(learner, "fetch_all_sync", fetch, list(ITEMS), clock=clock)
    fail_on_what_is_never_right(call, learner)
    if call.loops or fetch.in_loop:
        started = (
            "started an event loop (asyncio.run)"
            if call.loops
            else "ran inside an event loop"
        )
        inside = (
            f" and called the blocking fetch inside it ({len(fetch.in_loop)} times)"
            if fetch.in_loop
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}. It {started}{inside}. The sync version is the baseline the async one is "
            "measured against: plain code that calls the blocking fetch(item) for each item, one after another. "
            "A blocking call inside an event loop freezes the loop; it gains nothing.",
            "No asyncio in the sync version: `return [fetch(item) for item in items]`.",
        )
    if fetch.threaded:
        raise CheckFailed(
            f"Called {call.text}. It called fetch from other threads ({len(fetch.threaded)} of {len(fetch.calls)} calls). "
            "The sync version is the baseline: one call after another, in the calling thread, as plain "
            "blocking code runs.",
            "`return [fetch(item) for item in items]`.",
        )
    fail_on_error(call, learner)
    got = call.value
    wanted = [result_of(item) for item in ITEMS]
    if inspect.isgenerator(got) or isinstance(got, map):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}, a lazy iterator, instead of a list: nothing "
            "is fetched until someone iterates over it, so the time is not spent where it is measured.",
            "Return a list: `[fetch(item) for item in items]` (square brackets).",
        )
    if not expect.same(fetch.calls, ITEMS):
        made = ", ".join(f"fetch({item!r})" for item in fetch.calls) or "no call at all"
        raise CheckFailed(
            f"Called {call.text}. It made {made}; expected fetch('b'), fetch('c'), fetch('a'): once per item, "
            "in the order of items.",
            "`return [fetch(item) for item in items]`.",
        )
    if not expect.same(got, wanted):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected the results in the order of items: {short(wanted)}.",
            "Return what each fetch(item) returns: `[fetch(item) for item in items]`.",
        )


# --- fetch_all_async ----------------------------------------------------------------------


def _read_too_early(text: str, error: BaseException | None, learner) -> None:
    """task.result() read while the task still ran (inside the TaskGroup block, say)."""
    leaf = first_leaf(error) if error is not None else None
    if isinstance(leaf, asyncio.InvalidStateError):
        wrapped = (
            " (wrapped in the TaskGroup's ExceptionGroup)" if leaf is not error else ""
        )
        raise CheckFailed(
            f"Called {text}. It raised {error_text(leaf)}{wrapped} at {line_of(leaf, learner)}: it read "
            "task.result() before that task was done. Inside the `async with asyncio.TaskGroup()` block the "
            "tasks are still running; they are all done only once the block has ended.",
            "Read the results after the block: `return [task.result() for task in tasks]` one indent out, "
            f"or `return await {GATHER}`.",
        )


def _not_given_blocking(call: Any, fetch: Probe) -> None:
    """An "async" version that returned the coroutines its fetch calls made (sync code in an async def)."""
    _read_too_early(call.text, call.run.error, call.learner)
    got = call.result()
    if isinstance(got, list) and any(inspect.iscoroutine(value) for value in got):
        raise CheckFailed(
            f"Called {call.text}. It returned coroutine objects, {short(got)}: it called fetch(item) the "
            "sync way, without awaiting, so no fetch ran. `async def` alone makes nothing concurrent: the "
            "async version must await the async fetch it is given, all fetches at once.",
            f"Await them together: `return await {GATHER}`.",
        )


@pytest.mark.points(2)
def test_async_version_runs_fetches_together(learner):
    """fetch_all_async runs fetches of 1, 2 and 0.5 s at the same time: 2 s of loop time, the longest one"""
    fetch = Probe(delay=DELAYS.__getitem__)
    call = learner.run("fetch_all_async", fetch, list(ITEMS))
    _not_given_blocking(call, fetch)
    expect.ran_together(call, fetch, concept=GATHER, items=ITEMS)
    # the order is judged by handles_many_items (20 items: a stable verdict), not from 3 items here
    expect.results(
        call, [fetch.expected(item) for item in ITEMS], fetch, concept=GATHER, any_order=True
    )
    expect.no_leftovers(call, fetch)


@pytest.mark.points(1)
def test_async_version_handles_many_items_and_none(learner):
    """fetch_all_async runs 20 fetches of up to 1 s in 1 s, and returns [] for no items"""
    items = [f"page-{n}" for n in range(20, 0, -1)]
    # distinct delays: they finish in one order whatever order they were started in
    fetch = Probe(delay=lambda item: 0.5 + int(item.split("-")[1]) % 3 * 0.25)
    call = learner.run("fetch_all_async", fetch, items)
    _not_given_blocking(call, fetch)
    expect.ran_together(call, fetch, concept=GATHER, items=items)
    expect.results(
        call, [fetch.expected(item) for item in items], fetch, concept=GATHER
    )
    empty = learner.run("fetch_all_async", Probe(), [])
    expect.results(empty, [], concept=GATHER)


# --- measure_sync and measure_async --------------------------------------------------------


WORK_SECONDS = 2.5
WORK_RESULT = "the report"
SHORT_WORK = 0.0026  # not a whole number of milliseconds: a rounded measurement shows


def judge_measure(
    text: str, got: Any, work: BlockingWork | AsyncWork, clock: Clock, name: str
) -> None:
    """``got`` must be (work.result, work.seconds): the work's result, and the clock's advance around it."""
    kind = "await run()" if name == "measure_async" else "run()"
    if not work.calls:
        raise CheckFailed(
            f"Called {text}. It never called run(), so it measured nothing: expected it to call run() once "
            "between two readings of the clock.",
            f"`start = clock()`, `result = {kind}`, `return result, clock() - start`.",
        )
    if len(work.calls) > 1:
        raise CheckFailed(
            f"Called {text}. It called run() {len(work.calls)} times: each call does the whole work again. "
            "Call it once, keep its result, and time that one call.",
            f"`start = clock()`, `result = {kind}`, `return result, clock() - start`.",
        )
    values = list(got) if isinstance(got, (tuple, list)) else [got]
    if work.never_awaited() or any(inspect.iscoroutine(value) for value in values):
        returned = (
            " It returned that coroutine object instead of its result."
            if any(inspect.iscoroutine(value) for value in values)
            else ""
        )
        raise CheckFailed(
            f"Called {text}. It called run() but never awaited the coroutine run() returned, so the work never "
            f"ran and there was nothing to time.{returned} Calling an async function only creates a coroutine.",
            "`result = await run()`, between the two readings of the clock.",
        )
    if not clock.reads:
        seconds = (
            values[1]
            if len(values) == 2 and isinstance(values[1], (int, float))
            else None
        )
        returned = (
            f" the {seconds:.2g} s it returned came from another clock"
            if seconds is not None
            else " it timed with another clock"
        )
        if seconds is not None and abs(seconds - work.seconds) <= EXACT:
            raise CheckFailed(
                f"Called {text}, where run() takes {secs(work.seconds)} on the clock it was given. It returned "
                f"{seconds:g} s but never called that clock: it timed on another clock that happened to see the "
                "same time here (the event loop's own loop.time()?). The clock handed in is the one to read: "
                "in a benchmark it is time.perf_counter, in a test a fake.",
                TIME_TIME,
            )
        raise CheckFailed(
            f"Called {text}, where run() takes {secs(work.seconds)} on the clock it was given. It never called that "
            f"clock:{returned} (time.time() or time.perf_counter() called directly?), one that did not see "
            "the work's time.",
            TIME_TIME,
        )
    if type(got) not in (tuple, list) or len(got) != 2:  # exactly: a subclass's __len__/__iter__ can lie
        raise CheckFailed(
            f"Called {text}. It returned {short(got)}; expected a pair: (what run() returned, the seconds it took).",
            "`return result, clock() - start`.",
        )
    result, seconds = got
    if not expect.same(result, work.result):
        swapped = expect.same(seconds, work.result)
        raise CheckFailed(
            f"Called {text}, where run() returns {work.result!r}. It returned {short(got)}"
            + (
                "; the pair is the wrong way round: (result, seconds)."
                if swapped
                else f"; the first of the pair must be what run() returned, {work.result!r}."
            ),
            "`return result, clock() - start`.",
        )
    if type(seconds) not in (int, float):  # not a subclass: its __sub__/__abs__/__le__ would judge itself
        raise CheckFailed(
            f"Called {text}. It returned {short(got)}: the seconds, {short(seconds)}, are not a number.",
            "The seconds are the difference of two readings: `clock() - start`.",
        )
    if abs(seconds - work.seconds) <= EXACT:
        return
    reads = [read.value - START for read in clock.reads]
    shown = " and ".join(secs(value) for value in reads[:4]) + " since the check began"
    if abs(seconds + work.seconds) <= EXACT:
        raise CheckFailed(
            f"Called {text}. It returned {seconds:g} s: a negative duration. The reading taken before the work "
            "was subtracted from the one taken after it, the wrong way round.",
            "`clock() - start`: the later reading minus the earlier one.",
        )
    if any(abs(seconds - read.value) <= EXACT for read in clock.reads):
        raise CheckFailed(
            f"Called {text}. It returned {seconds:g}, a reading of the clock, not a duration: a clock's readings "
            "count from an arbitrary origin (time.perf_counter's too), only the difference of two means something.",
            "`start = clock()` before the work, and `clock() - start` after it.",
        )
    if (
        work.ended is not None
        and abs(seconds) <= EXACT
        and all(read.value < work.ended - EXACT for read in clock.reads)
    ):
        what = (
            "it timed creating the coroutine (calling run()), which takes no time, not awaiting it: the work "
            "happens during the await"
            if name == "measure_async"
            else "it read the clock twice before calling run()"
        )
        raise CheckFailed(
            f"Called {text}, where the work takes {secs(work.seconds)}. It returned 0 s: it read the clock "
            f"at {shown}, both before the work ended at {secs(work.ended - START)}: {what}.",
            f"Read the clock after the work is done: `start = clock()`, `result = {kind}`, `seconds = clock() - start`.",
        )
    if any(
        abs(seconds - round(work.seconds, decimals)) <= EXACT for decimals in range(5)
    ):
        raise CheckFailed(
            f"Called {text}, where the work takes {secs(work.seconds)} on the clock. It returned {seconds:g} s: "
            "the measured time, rounded. Everything computed from it (a speed-up, a time saved) is then "
            "computed from a rounded number.",
            "Return the difference as it is, `clock() - start`; round only when printing (speedup_report).",
        )
    raise CheckFailed(
        f"Called {text}, where the work takes {secs(work.seconds)} on the clock. It returned {seconds:g} s. "
        f"It read the clock at {shown}; the work ended at "
        f"{secs((work.ended or START) - START)}.",
        f"Read the clock just before and just after the work: `start = clock()`, `result = {kind}`, "
        "`return result, clock() - start`.",
    )


@pytest.mark.points(2)
def test_measure_sync_times_run_on_the_given_clock(learner):
    """measure_sync(run, clock) calls run() once and returns (its result, 2.5) when run takes 2.5 s on clock"""
    clock = Clock()
    work = BlockingWork(clock, WORK_SECONDS, WORK_RESULT)
    call = call_plain(learner, "measure_sync", work, clock, clock=clock)
    fail_on_what_is_never_right(call, learner)
    fail_on_error(call, learner)
    judge_measure(call.text, call.value, work, clock, "measure_sync")
    clock = Clock()
    work = BlockingWork(clock, SHORT_WORK, WORK_RESULT)
    call = call_plain(learner, "measure_sync", work, clock, clock=clock)
    fail_on_error(call, learner)
    judge_measure(call.text, call.value, work, clock, "measure_sync")


@pytest.mark.points(2)
def test_measure_async_times_the_await(learner):
    """measure_async(run, clock) awaits run() once and returns (its result, 2.5) when it takes 2.5 s of loop time"""
    clock = Clock()
    work = AsyncWork(clock, WORK_SECONDS, WORK_RESULT)
    call = learner.run("measure_async", work, clock)
    got = call.result()
    judge_measure(call.text, got, work, clock, "measure_async")
    if call.run.leaked:
        raise CheckFailed(
            f"Called {call.text}. It returned while {', '.join(call.run.leaked)} was still running: it did not "
            "wait for the work it measured.",
            "`result = await run()`.",
        )
    clock = Clock()
    work = AsyncWork(clock, SHORT_WORK, WORK_RESULT)
    call = learner.run("measure_async", work, clock)
    judge_measure(call.text, call.result(), work, clock, "measure_async")


@pytest.mark.points(1)
def test_measures_default_to_perf_counter(learner):
    """Without a clock, measure_sync and measure_async time with time.perf_counter"""
    clock = Clock()
    work = BlockingWork(clock, 0.0, WORK_RESULT)
    call = call_plain(learner, "measure_sync", work, clock=clock)
    fail_on_what_is_never_right(call, learner)
    fail_on_error(call, learner)
    _works_without_a_clock(call.text, call.value)
    async_call = learner.run("measure_async", AsyncWork(clock, 0.0, WORK_RESULT))
    _works_without_a_clock(async_call.text, async_call.result())
    for name in ("measure_sync", "measure_async"):
        parameter = inspect.signature(learner.function(name)).parameters.get("clock")
        if parameter is None:
            raise CheckFailed(
                f"{name} has no parameter named clock. Keep the signature {name}(run, clock=time.perf_counter): "
                "the clock is handed in, so a test (or a benchmark) can choose it."
            )
        default = parameter.default
        if default is time.perf_counter:
            continue
        found = {
            time.time: "time.time",
            time.monotonic: "time.monotonic",
            time.process_time: "time.process_time",
        }.get(
            default,
            short(default)
            if default is not inspect.Parameter.empty
            else "none (clock is required)",
        )
        why = {
            "time.time": "time.time is the wall clock: the system may set it forward or back while you measure, "
            "and on some systems it moves in steps of about 16 ms, so its differences are not precise durations.",
            "time.process_time": "time.process_time counts CPU time only: waiting for I/O, which is what these "
            "fetches do, does not count at all.",
        }.get(
            found,
            "time.perf_counter is the clock made for measuring durations: monotonic, and with the "
            "highest resolution available.",
        )
        raise CheckFailed(
            f"{name}'s clock defaults to {found}. {why}",
            f"`def {name}(run, clock=time.perf_counter)`.",
        )


def _works_without_a_clock(text: str, got: Any) -> None:
    seconds = got[1] if type(got) in (tuple, list) and len(got) == 2 else None
    if (
        type(seconds) not in (int, float)  # exactly: a subclass's __lt__ would judge itself
        or not expect.same(got[0], WORK_RESULT)
    ):
        raise CheckFailed(
            f"Called {text}, without a clock. It returned {short(got)}; expected ({WORK_RESULT!r}, the seconds "
            "it took on the default clock).",
            "`start = clock()`, do the work, `return result, clock() - start`.",
        )
    if seconds < 0:
        raise CheckFailed(
            f"Called {text}, without a clock. It returned {seconds:.2g} s, a negative duration.",
            "`clock() - start`: the later reading minus the earlier one.",
        )


# --- speedup_report -----------------------------------------------------------------------


FIELDS = (
    ("sync time", 3, " s"),
    ("async time", 3, " s"),
    ("speed-up", 2, "x"),
    ("time saved", 1, "%"),
)
STRICT = re.compile(r"sync (\S+) s, async (\S+) s, speed-up (\S+)x, time saved (\S+)%")
LOOSE = re.compile(
    r"sync\W*?(-?[\d.]+)\s*s\b.*?async\W*?(-?[\d.]+)\s*s\b.*?speed.?up\W*?(-?[\d.]+)\s*x.*?(?:saved|less)\D*?(-?[\d.]+)\s*%",
    re.IGNORECASE | re.DOTALL,
)


def report(sync_seconds: float, async_seconds: float) -> str:
    speedup = sync_seconds / async_seconds
    saved = (sync_seconds - async_seconds) / sync_seconds * 100
    return f"sync {sync_seconds:.3f} s, async {async_seconds:.3f} s, speed-up {speedup:.2f}x, time saved {saved:.1f}%"


def _near(shown: float, value: float, decimals: int) -> bool:
    return abs(shown - value) <= 0.5 * 10**-decimals + 1e-9


def _decimals(token: str) -> int:
    return len(token.partition(".")[2])


ROUNDED_FIRST = (
    "it was computed from the times rounded to the millisecond: compute from the measured "
    "numbers, and round only when printing"
)
WHOLE = "it is rounded to a whole number, which hides the measured difference"
CUT = "it is cut to a whole number, which hides the measured difference"
INVERTED = (
    "it is inverted: async / sync. The speed-up is how many times faster async is: "
    "sync_seconds / async_seconds"
)
SHARE_LEFT = "that is the share of the sync time the async run still took, not the share it saved"
PERCENT_FASTER = (
    "that is how much faster async is in percent, not how much of the time it saved"
)
FRACTION = "that is the saved share as a fraction: multiply by 100 for a percentage"
NEGATIVE = "the async run was slower, so the time saved is negative"
FORMULAS = (
    "speed-up = sync_seconds / async_seconds; time saved = (sync_seconds - async_seconds) / "
    "sync_seconds * 100. Compute from the measured numbers; round only when formatting."
)
DECIMALS = (
    'Format with a fixed number of decimals: `f"{sync_seconds:.3f} s"`, `f"{speedup:.2f}x"`, '
    '`f"{saved:.1f}%"`.'
)


def _lies(
    index: int, shown: float, token: str, sync_s: float, async_s: float
) -> str | None:
    """What a wrong speed-up (index 2) or time saved (3) shows instead, in words; None if
    it is no known mistake."""
    d = _decimals(token)
    rounded_sync, rounded_async = round(sync_s, 3), round(async_s, 3)
    speedup = sync_s / async_s
    saved = (sync_s - async_s) / sync_s * 100
    candidates: list[tuple[float, str]] = []
    if index == 2:
        truth = speedup
        if d == 0:
            candidates += [(round(speedup), WHOLE), (math.floor(speedup), CUT)]
        candidates.append((async_s / sync_s, INVERTED))
        if rounded_async:
            candidates.append((rounded_sync / rounded_async, ROUNDED_FIRST))
    else:
        truth = saved
        candidates += [
            (async_s / sync_s * 100, SHARE_LEFT),
            ((sync_s / async_s - 1) * 100, PERCENT_FASTER),
            (saved / 100, FRACTION),
            (abs(saved), NEGATIVE),
            (max(saved, 0.0), NEGATIVE),
        ]
        if rounded_sync:
            candidates.append(
                ((rounded_sync - rounded_async) / rounded_sync * 100, ROUNDED_FIRST)
            )
    for value, words in candidates:
        if not _near(value, truth, FIELDS[index][1]) and _near(shown, value, d):
            return words
    return None


@dataclass(frozen=True)
class Problem:
    """What is wrong with a report, and the advice."""

    text: str
    advice: str


def report_problem(got: Any, sync_s: float, async_s: float) -> Problem | None:
    """What is wrong with ``got`` as the report of sync_s and async_s; None if it is right."""
    wanted = report(sync_s, async_s)
    if type(got) is str and got.strip() == wanted:  # exactly: a subclass's strip() or __eq__ can lie
        return None
    if type(got) is not str:
        return Problem(
            f"It returned {short(got)} ({type(got).__name__}); expected the string {wanted!r}.",
            "Build the line with an f-string and return it (not print it).",
        )
    match = STRICT.fullmatch(got.strip()) or LOOSE.search(got)
    layout = Problem(
        f"It returned {got!r}; expected exactly {wanted!r}.",
        f"Keep the form of the line: {FORM!r}.",
    )
    if match is None:
        return layout
    expected_tokens = STRICT.fullmatch(wanted).groups()
    truths = (sync_s, async_s, sync_s / async_s, (sync_s - async_s) / sync_s * 100)
    for index, (token, expected_token) in enumerate(
        zip(match.groups(), expected_tokens)
    ):
        label, decimals, unit = FIELDS[index]
        if token == expected_token:
            continue
        try:
            shown = float(token)
        except ValueError:
            return Problem(
                f"It returned {got!r}: its {label}, {token!r}, is not a number. Expected {wanted!r}.",
                f"Keep the form {FORM!r}.",
            )
        if not _near(shown, truths[index], decimals):
            lie = _lies(index, shown, token, sync_s, async_s) if index >= 2 else None
            truth = f"{truths[index]:.{decimals}f}{unit}"
            because = f": {lie}" if lie else ""
            return Problem(
                f"It returned {got!r}. Its {label} says {token}{unit}, but for {secs(sync_s)} sync and "
                f"{secs(async_s)} async it is {truth}{because}. Expected {wanted!r}.",
                FORMULAS,
            )
        if _decimals(token) != decimals:
            return Problem(
                f"It returned {got!r}. Its {label}, {token}{unit}, is right but shown to {_decimals(token)} "
                f"decimals; the report gives it to {decimals}: {expected_token}{unit}. Expected {wanted!r}.",
                DECIMALS,
            )
    return layout


def call_report(learner, sync_s: float, async_s: float) -> Any:
    function = learner.function("speedup_report")
    if inspect.iscoroutinefunction(function):
        raise CheckFailed(
            PLAIN.format(name="speedup_report"),
            "Write `def speedup_report(sync_seconds, async_seconds)`.",
        )
    text = describe_call("speedup_report", (sync_s, async_s))
    try:
        return function(sync_s, async_s)
    except Exception as error:  # noqa: BLE001  (the learner's code: anything)
        frames = traceback.extract_tb(error.__traceback__)
        if (
            isinstance(error, NotImplementedError)
            and frames
            and frames[-1].filename in learner.files
        ):
            raise CheckFailed(
                messages.NOT_IMPLEMENTED.format(
                    function=frames[-1].name, readme=learner.exercise.readme
                ),
                messages.NOT_IMPLEMENTED_LINE.format(where=line_of(error, learner)),
            ) from None
        raise CheckFailed(
            messages.RAISED.format(
                call=text, error=error_text(error), where=line_of(error, learner)
            )
        ) from None


def judge_report(learner, sync_s: float, async_s: float) -> None:
    got = call_report(learner, sync_s, async_s)
    problem = report_problem(got, sync_s, async_s)
    if problem:
        text = describe_call("speedup_report", (sync_s, async_s))
        raise CheckFailed(f"Called {text}. {problem.text}", problem.advice)


@pytest.mark.points(2)
def test_report_states_the_measured_speedup(learner):
    """speedup_report(3.5, 2.0) is "sync 3.500 s, async 2.000 s, speed-up 1.75x, time saved 42.9%" """
    judge_report(learner, 3.5, 2.0)
    judge_report(learner, 1.5, 0.6)


@pytest.mark.points(1)
def test_report_rounds_only_what_it_prints(learner):
    """speedup_report(0.0104, 0.0026) reports speed-up 4.00x, not the 3.33x of the rounded times"""
    judge_report(learner, 0.0104, 0.0026)


@pytest.mark.points(1)
def test_report_of_a_slower_async_run(learner):
    """speedup_report(0.004, 0.005): async was slower, speed-up 0.80x, time saved -25.0%"""
    judge_report(learner, 0.004, 0.005)


# --- compare ------------------------------------------------------------------------------


def _first_location(found: list[tuple[Any, Location | None]]) -> str:
    where_ = next((w for _, w in found if w is not None), None)
    return f" (at {where_})" if where_ else ""


@pytest.mark.points(3)
def test_compare_reports_what_it_measured(learner):
    """compare measures both versions on the clock it is given: sync 3.5 s, async 2 s, speed-up 1.75x"""
    clock = Clock()
    fetch_sync = BlockingFetch(clock, "fetch_sync", learner.files)
    fetch_async = AsyncFetch("fetch_async")
    clock.marker = lambda: fetch_async.finished
    args = (fetch_sync, fetch_async, list(ITEMS), clock)
    call = call_plain(learner, "compare", *args, clock=clock, collect=True)
    try:
        _judge_compare(learner, call, clock, fetch_sync, fetch_async)
    finally:
        fetch_async.never_awaited()  # closes what never ran: no "never awaited" warning later


def _judge_compare(
    learner,
    call: PlainCall,
    clock: Clock,
    fetch_sync: BlockingFetch,
    fetch_async: AsyncFetch,
) -> None:
    fix = (
        "`_, sync_seconds = measure_sync(lambda: fetch_all_sync(fetch_sync, items), clock)`; "
        "`_, async_seconds = asyncio.run(measure_async(lambda: fetch_all_async(fetch_async, items), clock))`; "
        "`return speedup_report(sync_seconds, async_seconds)`."
    )
    fail_on_what_is_never_right(call, learner)
    if fetch_sync.in_loop:
        raise CheckFailed(
            f"Called {call.text}. The blocking fetch_sync was called {len(fetch_sync.in_loop)} times inside the "
            f"event loop{_first_location(fetch_sync.in_loop)}: the async version was given the blocking fetch. "
            "Each call froze the loop for its whole wait, so nothing overlapped; that measures nothing about async.",
            "Give each version its own fetch: fetch_all_sync gets fetch_sync, fetch_all_async gets fetch_async. "
            + fix,
        )
    if fetch_async.outside_loop:
        raise CheckFailed(
            f"Called {call.text}. fetch_async was called {fetch_async.outside_loop} times from plain code, where no "
            "event loop runs: the sync version was given the async fetch. Calling an async function there only "
            "creates a coroutine; nothing awaits it, so nothing is fetched and no time passes.",
            "The sync version gets fetch_sync and is timed with measure_sync; the async version gets fetch_async "
            "and is timed with measure_async, run by asyncio.run. " + fix,
        )
    if fetch_sync.threaded:
        raise CheckFailed(
            f"Called {call.text}. fetch_sync was called from other threads: the sync version is the baseline, "
            "one blocking call after another in plain code.",
            fix,
        )
    dropped = [name for name in call.unawaited if not name.startswith("fetch_async")]
    if dropped:
        raise CheckFailed(
            f"Called {call.text}. It created the coroutine {dropped[0]}(...) and never awaited it, so none of "
            "its work ran. Timing a call of an async function from plain code, as in "
            "`measure_sync(lambda: fetch_all_async(...))`, measures only the creation of a coroutine: 0 s. "
            "The work runs when the coroutine is awaited, on an event loop.",
            fix,
        )
    if call.error is not None and not isinstance(call.error, ZeroDivisionError):
        _read_too_early(call.text, call.error, learner)
        fail_on_error(call, learner, fix)
    if not fetch_async.calls or not fetch_sync.calls:
        which = "fetch_async" if not fetch_async.calls else "fetch_sync"
        raise CheckFailed(
            f"Called {call.text}. It never called {which}: it must run both versions, on the same items.",
            fix,
        )
    unawaited = fetch_async.never_awaited()
    if unawaited:
        raise CheckFailed(
            f"Called {call.text}. {unawaited} of the fetch_async(...) calls were made but never awaited, so they "
            "never ran: calling an async function only creates a coroutine.",
            f"fetch_all_async must await them, all together: `return await {GATHER}`. "
            + fix,
        )
    if not call.loops:
        raise CheckFailed(
            f"Called {call.text}. It never started an event loop, so no coroutine could run: plain code runs "
            "async work with asyncio.run(...).",
            fix,
        )
    if not clock.reads:
        raise CheckFailed(
            f"Called {call.text}. It never read the clock it was given, so what it reports was measured on "
            "another clock: pass `clock` on to measure_sync and measure_async.",
            TIME_TIME,
        )
    for fake, version in ((fetch_sync, "sync"), (fetch_async, "async")):
        if not expect.same_items(fake.calls, ITEMS):
            runs = len(fake.calls) / len(ITEMS)
            what = (
                f"ran the {version} version {runs:g} times"
                if runs == int(runs)
                else f"fetched {short(fake.calls)}"
            )
            raise CheckFailed(
                f"Called {call.text}. It {what} ({fake.name} calls: {short(fake.calls)}); expected each version to "
                f"run once, on the items {ITEMS}: every extra run costs the time it measures.",
                fix,
            )
    if fetch_async.peak == 1:
        raise CheckFailed(
            f"Called {call.text}. The async version ran its fetch_async calls one after another (never more "
            f"than one at a time), so it took as long as the sync one: {secs(SYNC_TOTAL)}. All at once they "
            f"take {secs(ASYNC_TOTAL)}, the longest one.",
            f"Fix fetch_all_async first (its own check): `return await {GATHER}`.",
        )
    if isinstance(call.error, ZeroDivisionError):
        raise CheckFailed(
            f"Called {call.text}. It raised ZeroDivisionError at {line_of(call.error, learner)}: a time it measured "
            f"was 0 s, though on the clock it was given the sync version takes {secs(SYNC_TOTAL)} and the async one "
            f"{secs(ASYNC_TOTAL)}. A measurement that reads the clock before the work is done measures nothing.",
            "Check measure_sync and measure_async first (their own checks), then: "
            + fix,
        )
    wanted = report(SYNC_TOTAL, ASYNC_TOTAL)
    got = call.value
    problem = report_problem(got, SYNC_TOTAL, ASYNC_TOTAL)
    if problem is None:
        return
    if not any(read.mark == len(ITEMS) for read in clock.reads):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}, but it never read the clock it was given after the "
            "async version's fetches had finished: the async version was timed on another clock (the default "
            f"one?). On the given clock it took {secs(ASYNC_TOTAL)}.",
            "Pass `clock` on to both measures. " + fix,
        )
    try:
        own = learner.function("speedup_report")(SYNC_TOTAL, ASYNC_TOTAL)
    except Exception:  # noqa: BLE001  (the learner's code: its own check reports it)
        own = None
    if isinstance(got, str) and isinstance(own, str) and got.strip() == own.strip():
        raise CheckFailed(
            f"Called {call.text}. It measured right (sync {secs(SYNC_TOTAL)}, async {secs(ASYNC_TOTAL)}) but "
            f"speedup_report({SYNC_TOTAL}, {ASYNC_TOTAL}) gives {got!r}; expected {wanted!r}.",
            "Fix speedup_report (its own checks say how).",
        )
    raise CheckFailed(
        f"Called {call.text}. On the clock it was given, the sync version took {secs(SYNC_TOTAL)} (1 + 2 + 0.5 s, "
        f"one after another) and the async one {secs(ASYNC_TOTAL)} (all at once). {problem.text}",
        problem.advice if problem.advice == FORMULAS else fix,
    )
