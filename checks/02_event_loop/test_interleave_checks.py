"""Hidden checks of exercise 02: worker, take_turns, download_while_working, crunch.

Every verdict comes from the order of recorded events and from loop time: the fake
`step`, `download` and `process` handed to the learner write an event log.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
from dataclasses import dataclass
from typing import Any

import pytest

from grader import expect, messages
from grader.failure import CheckFailed
from grader.learner import short
from grader.loop import current_loop
from grader.probes import Probe
from grader.timeline import Span, render

EXACT = expect.EXACT

TASKS = (
    "Start every worker first, as a task: `asyncio.create_task(worker(step, name, count))`; "
    "only then await the tasks. While one task waits at an await, the event loop runs the others."
)
SEQUENTIAL = (
    "`await worker(...)` (or awaiting a task right after creating it) runs that worker to the end "
    "before your next line runs, so the workers ran one after another. "
)
NOT_RUN = (
    "Calling a coroutine function only creates a coroutine object: nothing in it runs until it "
    "is awaited or wrapped in a task (asyncio.create_task)."
)
YIELD = (
    "A coroutine keeps the event loop's one thread until it reaches an await, and plain "
    "computation never pauses. Put `await asyncio.sleep(0)` after each item: it gives every other "
    "ready coroutine a turn, then crunch carries on."
)


# --- running the learner's coroutines -------------------------------------------------


def run(learner, name: str, *args: Any):
    """``learner.run``, after making sure ``name`` is a coroutine function, as the task asks.

    A plain def returning ``asyncio.gather(...)`` or a task works when awaited, but it starts
    the work the moment it is called, before anyone awaits it; an async generator (an async
    def with ``yield``) returns no result at all. Both are named here, before anything runs.
    """
    if inspect.isasyncgenfunction(learner.function(name)):
        advice = "Collect the results in a list and `return` it; keep the `await asyncio.sleep(0)`, drop the `yield`."
    else:
        advice = messages.PLAIN_DEF.format(function=name)
    return learner.run(name, *args, plain_def=advice)


# --- the fake step --------------------------------------------------------------------


def label(name: Any, i: Any) -> str:
    """A step's name in messages, as the visible tests write it: A1, work2."""
    return f"{name}{i}"


@dataclass
class StepEvent:
    label: str
    name: Any
    i: Any
    start: float
    end: float | None = None
    started: int = 0  # position among all step starts and ends, in the order they happened
    ended: int | None = None


class Steps:
    """The ``step(name, i)`` handed to the learner: an async step taking ``delay`` s of
    loop time (0: a single turn of the loop) that records when each step started and ended."""

    name = "step"  # how the harness shows it in "Called take_turns(step, ...)"

    def __init__(self, delay: float = 0.0, delays: dict[Any, float] | None = None) -> None:
        self.delay = delay
        self.delays = delays or {}  # per worker name, instead of ``delay``
        self.events: list[StepEvent] = []  # in start order
        self._made: list[Any] = []
        self._seq = 0

    def __call__(self, name: Any, i: Any):
        coroutine = self._run(name, i)
        coroutine.__qualname__ = f"step({name!r}, {i!r})"
        self._made.append(coroutine)
        return coroutine

    async def _run(self, name: Any, i: Any) -> None:
        loop = asyncio.get_running_loop()
        self._seq += 1
        event = StepEvent(label(name, i), name, i, loop.time(), started=self._seq)
        self.events.append(event)
        await asyncio.sleep(self.delays.get(name, self.delay))
        self._seq += 1
        event.end, event.ended = loop.time(), self._seq

    @property
    def order(self) -> list[str]:
        return [e.label for e in self.events]

    def never_awaited(self) -> int:
        """How many step(...) coroutines were made but never started (closing them)."""
        for coroutine in self._made:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self._made) - len(self.events)

    def spans(self) -> list[Span]:
        return [Span(e.label, e.start, e.end, "finish" if e.end is not None else "running") for e in self.events]


def order_text(labels: list[str], limit: int = 20) -> str:
    if not labels:
        return "(no step at all)"
    if len(labels) > limit:
        labels = labels[: limit - 4] + ["…"] + labels[-3:]
    return " ".join(labels)


def steps_expected(names: list[str], count: int) -> list[str]:
    """The order of taking turns: every worker's step 1, then every worker's step 2, ..."""
    return [label(name, i) for i in range(1, count + 1) for name in names]


def steps_unawaited(call, step: Steps) -> None:
    unawaited = step.never_awaited()
    if unawaited:
        raise CheckFailed(
            f"Called {call.text}. {unawaited} step(...) call(s) were made but never awaited, so those steps "
            "never happened.",
            "Await each step: `await step(name, i)`.",
        )


def steps_complete(call, step: Steps, wanted: list[str]) -> None:
    """Every wanted step was taken exactly once: nothing missing, nothing extra."""
    taken = step.order
    if sorted(taken) == sorted(wanted):
        return
    missing = [s for s in dict.fromkeys(wanted) if taken.count(s) < wanted.count(s)]
    unasked = [s for s in dict.fromkeys(taken) if s not in wanted]
    repeated = [s for s in dict.fromkeys(taken) if s in wanted and taken.count(s) > wanted.count(s)]
    parts = []
    if missing:
        parts.append(f"{order_text(missing)} never happened")
    if unasked:
        parts.append(f"{order_text(unasked)} should not have happened")
    if repeated:
        parts.append(f"{order_text(repeated)} happened more than once")
    advice = None
    if any(e.i == 0 for e in step.events):
        advice = "Steps count from 1: step(name, 1) up to step(name, count), as in `for i in range(1, count + 1)`."
    raise CheckFailed(
        f"Called {call.text}. It took the steps {order_text(taken)}; expected {order_text(wanted)}: "
        f"{', '.join(parts)}.",
        advice,
    )


def each_worker_in_order(call, step, names, count):
    """Every worker took its own steps 1, 2, ... count, one after another."""
    for name in names:
        own = [e.i for e in step.events if expect.same(e.name, name)]
        if not expect.same(own, list(range(1, count + 1))):  # e.name, e.i: the learner's, their == can lie
            raise CheckFailed(
                f"Called {call.text}. Worker {name} took its steps in the order "
                f"{order_text([label(name, i) for i in own])}: a worker takes its steps one after another, from 1."
            )


def steps_one_at_a_time(call, step: Steps) -> None:
    """Each worker started a step only once its previous step had ended."""
    for name in dict.fromkeys(e.name for e in step.events):
        own = [e for e in step.events if e.name == name]
        for before, after in itertools.pairwise(own):
            if before.ended is None or after.started < before.ended:
                raise CheckFailed(
                    f"Called {call.text}. {after.label} started before {before.label} had finished: worker "
                    f"{name!r} ran its own steps at the same time. A worker takes its steps one after another "
                    "(the worker check says more).",
                    "In worker, await each step before starting the next: `for i in range(1, count + 1): "
                    "await step(name, i)`, no gather or tasks there.",
                )


def steps_ran(call, step: Steps, what: str) -> None:
    """Fail with a teaching message when the workers never ran at all."""
    if not step.events:
        raise CheckFailed(f"Called {call.text}. No step was taken at all: {what} never ran.", NOT_RUN)


def no_tasks_left(call) -> None:
    leaked = call.run.leaked
    if leaked:
        raise CheckFailed(
            f"Called {call.text}. It returned while {len(leaked)} task(s) it started were still running "
            f"({', '.join(leaked)}): nothing waited for them to finish, so their work was not done when "
            f"{call.function} returned.",
            "Creating a task only schedules it. Await every task you create before you return: "
            "`for task in tasks: await task` (one `await task` after the loop waits for the last task "
            "only, and asyncio.wait(..., return_when=FIRST_COMPLETED) for the first to finish only).",
        )


def judge_turns(call, step: Steps, names: list[str], count: int) -> None:
    """take_turns: every step once, each worker in order, in rounds, in count * delay of loop time."""
    call.result()
    wanted = steps_expected(names, count)
    steps_unawaited(call, step)
    steps_ran(call, step, "the workers")
    no_tasks_left(call)
    steps_complete(call, step, wanted)
    steps_one_at_a_time(call, step)
    taken = step.order
    each_worker_in_order(call, step, names, count)
    rounds = [e.i for e in step.events]
    if rounds != sorted(rounds):
        if _in_blocks(step):
            raise CheckFailed(
                f"Called {call.text}. The steps ran {order_text(taken)}: worker {step.events[0].name} took all "
                f"its steps before the next worker took its first. Expected the workers to take turns: "
                f"{order_text(wanted)}.",
                SEQUENTIAL + TASKS,
            )
        raise CheckFailed(
            f"Called {call.text}. The steps ran {order_text(taken)}: some worker ran ahead of the others. "
            f"Expected them to take turns, each worker's step 1 before any step 2: {order_text(wanted)} "
            f"(worker {names[0]} first).",
            TASKS,
        )
    together = count * step.delay
    ends = [e.end for e in step.events]
    done = None if None in ends else max(ends)
    if call.loop_time > together + EXACT and done is not None and done <= together + EXACT:
        raise CheckFailed(
            f"Called {call.text}. Its workers took turns and were all done at {done:g} s, but it returned "
            f"only at {call.loop_time:g} s of loop time: it waited for something other than its tasks.",
            "Wait for the tasks themselves (`await task` for each, or asyncio.gather): a sleep only "
            "guesses how long they take.",
        )
    if call.loop_time > together + EXACT:
        one_by_one = len(wanted) * step.delay
        how = "ran one step at a time: " if abs(call.loop_time - one_by_one) <= EXACT else "took "
        raise CheckFailed(
            f"Called {call.text}. The steps took turns ({order_text(taken, 12)}) but {how}"
            f"{call.loop_time:g} s of loop time. With every worker running at the same time, "
            f"{count} rounds of {step.delay:g} s steps take {together:g} s.",
            "Taking turns by hand inside one coroutine still does one thing at a time. Run each worker "
            "as its own task (`asyncio.create_task(worker(step, name, count))`): while one worker waits "
            "for its step, the event loop runs the others.",
        )


def _in_blocks(step: Steps) -> bool:
    """Whether each worker's steps came in one unbroken run (workers one after another)."""
    seen = [e.name for e in step.events]
    runs = [name for k, name in enumerate(seen) if k == 0 or seen[k - 1] != name]
    return len(runs) == len(set(runs)) and len(runs) > 1


# --- worker ---------------------------------------------------------------------------


@pytest.mark.points(1)
def test_worker_takes_its_steps_in_order(learner):
    """worker takes its steps one after another: step(name, 1) ... step(name, count)"""
    step = Steps(delay=1.0)
    call = run(learner, "worker", step, "B", 4)
    call.result()
    steps_unawaited(call, step)
    steps_ran(call, step, "worker")
    wanted = [label("B", i) for i in range(1, 5)]
    steps_complete(call, step, wanted)
    if step.order != wanted:
        raise CheckFailed(f"Called {call.text}. It took the steps {order_text(step.order)}; expected {order_text(wanted)}.")
    if call.loop_time + EXACT < 4.0:
        raise CheckFailed(
            f"Called {call.text}. Its 4 steps of 1 s overlapped ({call.loop_time:g} s of loop time): "
            "a worker takes its steps one after another, 4 s in all.",
            "Await each step before you start the next: `for i in ...: await step(name, i)`.",
        )
    none = Steps()
    empty = run(learner, "worker", none, "B", 0)
    empty.result()
    if none.events or none.never_awaited():
        raise CheckFailed(f"Called {empty.text}. With count 0 it took steps {order_text(none.order)}; expected none.")


# --- take_turns -----------------------------------------------------------------------


@pytest.mark.points(2)
def test_take_turns_interleaves_two_workers(learner):
    """take_turns runs two workers at the same time: their steps go A1 B1 A2 B2 A3 B3"""
    step = Steps()
    call = run(learner, "take_turns", step, ["A", "B"], 3)
    judge_turns(call, step, ["A", "B"], 3)


@pytest.mark.points(1)
def test_take_turns_runs_workers_at_the_same_time(learner):
    """take_turns runs 3 workers of 4 one-second steps in 4 s of loop time, and waits for the slowest worker"""
    names = ["C", "A", "B"]
    step = Steps(delay=1.0)
    call = run(learner, "take_turns", step, names, 4)
    judge_turns(call, step, names, 4)
    judge_waits_for_every_worker(learner)


def judge_waits_for_every_worker(learner) -> None:
    """Workers of different speeds: take_turns returns once every one is done, the slowest too.

    Neither the first nor the last worker is the slowest, so awaiting only the last task
    created, or asyncio.wait(..., return_when=FIRST_COMPLETED), leaves a worker running.
    """
    names = ["A", "B", "C"]
    delays = {"A": 0.5, "B": 2.0, "C": 1.0}
    count = 3
    step = Steps(delays=delays)
    call = run(learner, "take_turns", step, names, count)
    call.result()
    steps_unawaited(call, step)
    steps_ran(call, step, "the workers")
    no_tasks_left(call)
    steps_complete(call, step, steps_expected(names, count))
    steps_one_at_a_time(call, step)
    each_worker_in_order(call, step, names, count)
    slowest = max(delays.values()) * count
    if call.loop_time > slowest + EXACT:
        raise CheckFailed(
            f"Called {call.text}, where A's steps take 0.5 s, B's 2 s and C's 1 s. It took {call.loop_time:g} s "
            f"of loop time; with the workers running at the same time it takes {slowest:g} s, the time of the "
            "slowest worker.",
            TASKS,
        )


# --- download_while_working ------------------------------------------------------------

URL = "https://example.org/big.zip"


def page(url: str) -> str:
    return f"<page {url}>"


def _schedule(download: Probe, step: Steps, count: int) -> str:
    actual = [Span("download", s.start, s.end, s.outcome) for s in download.spans()] + step.spans()
    expected = [Span("download", 0.0, download.delay(URL))]
    expected += [Span(label("work", i), i - 1.0, float(i)) for i in range(1, count + 1)]
    return render(actual, expected, expected_title="Expected: the download running while you work")


def download_cancelled(call, download: Probe, step: Steps, count: int) -> None:
    """The learner cancelled the download task, and awaiting it raised CancelledError."""
    cancels = [e.at for e in download.events if e.kind == "cancel"]
    if isinstance(call.run.error, asyncio.CancelledError) and cancels:
        raise CheckFailed(
            f"Called {call.text}. It cancelled the download at {cancels[0]:g} s, before it had finished, so "
            "the download never gave its result and awaiting the task raised CancelledError. "
            "`task.cancel()` stops a task; it does not hurry it.",
            "After your work, just `return await task`: it waits as long as the download still needs.",
            _schedule(download, step, count),
        )


def judge_download(call, download: Probe, step: Steps, count: int) -> None:
    error = call.run.error
    download_cancelled(call, download, step, count)
    if isinstance(error, asyncio.InvalidStateError):
        raise CheckFailed(
            f"Called {call.text}. It raised InvalidStateError ({error}) at {call.where(error)}: it read "
            "the download task's result before the download had finished.",
            "Await the task instead: `return await task` waits until the download is done, then gives its result.",
            _schedule(download, step, count),
        )
    value = call.result()
    if not download.calls:
        raise CheckFailed(f"Called {call.text}. It never called download(url): start the download with download(url).")
    if download.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called download(url) but never awaited the coroutine, so the download "
            "never happened.",
            NOT_RUN,
        )
    expect.each_item_once(call, download, [URL])
    wanted = [label("work", i) for i in range(1, count + 1)]
    steps_unawaited(call, step)
    steps_ran(call, step, "your work")
    leaked = call.run.leaked
    if leaked:
        running = f"It returned while {len(leaked)} task(s) it started were still running ({', '.join(leaked)})"
        if any(name.startswith(f"{download.name}(") for name in leaked):
            what = "the download was started as a task but never awaited."
            advice = "Await the task before you return: `return await task` waits for the download and gives its result."
        else:
            what = (
                "your work was started as a task and nothing waited for it, so it was not done when "
                f"{call.function} returned."
            )
            advice = (
                "Do the work yourself, `await worker(step, \"work\", count)`, while the download runs as a task; "
                "then `return await task`."
            )
        raise CheckFailed(f"Called {call.text}. {running}: {what}", advice, _schedule(download, step, count))
    steps_complete(call, step, wanted)
    if step.order != wanted:
        raise CheckFailed(f"Called {call.text}. It took the steps {order_text(step.order)}; expected {order_text(wanted)}.")
    steps_one_at_a_time(call, step)
    started = download.events[0].at
    ended = max((e.at for e in download.events if e.kind != "start"), default=None)
    work_start = step.events[0].start
    work_end = step.events[-1].end
    took, together = call.loop_time, max(download.delay(URL), count * step.delay)
    picture = _schedule(download, step, count)
    if ended is not None and ended <= work_start + EXACT:
        raise CheckFailed(
            f"Called {call.text}. The download ran first ({started:g}–{ended:g} s) and your work only after it: "
            f"{took:g} s of loop time instead of {together:g} s. Awaiting the download (or a task, right after "
            "creating it) waits for it to finish before your next line runs.",
            "Start the download as a task, `task = asyncio.create_task(download(url))`, do the work, and "
            "only then `await task`.",
            picture,
        )
    if work_end is not None and started >= work_end - EXACT:
        raise CheckFailed(
            f"Called {call.text}. The download started only after your work was done (at {started:g} s): "
            f"{took:g} s of loop time instead of {together:g} s. A coroutine object does nothing until it "
            "is awaited, so `download(url)` alone does not start the download.",
            "Wrap it in a task, `task = asyncio.create_task(download(url))`: the task starts at your next "
            "await and runs while you work. Await the task at the end.",
            picture,
        )
    if abs(took - together) > EXACT or started > EXACT:
        raise CheckFailed(
            f"Called {call.text}. The download ({download.delay(URL):g} s) and {count} work steps of "
            f"{step.delay:g} s took {took:g} s of loop time; running together they take {together:g} s.",
            "Start the download as a task before the first work step, await it after the last.",
            picture,
        )
    if not expect.same(value, page(URL)):
        hint = " Await the task to get what the download returned: `return await task`." if value is None else ""
        raise CheckFailed(f"Called {call.text}. It returned {short(value)}; expected the download's result, {short(page(URL))}.{hint}")


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "seconds, count", [(4.0, 3), (1.5, 3)], ids=["download-takes-longer", "work-takes-longer"]
)
def test_download_runs_while_working(learner, seconds, count):
    """download_while_working works while the download runs, then returns the download's result"""
    download = Probe("download", delay=seconds, result=page)
    step = Steps(delay=1.0)
    call = run(learner, "download_while_working", download, URL, step, count)
    judge_download(call, download, step, count)


@pytest.mark.points(1)
def test_download_failure_comes_out(learner):
    """download_while_working raises the download's exception"""
    error = ConnectionError("example.org stopped answering")
    # It fails after the work is done: a download task left running is then reported as such.
    download = Probe("download", delay=4.0, result=page, errors={URL: error})
    step = Steps(delay=1.0)
    call = run(learner, "download_while_working", download, URL, step, 3)
    download_cancelled(call, download, step, 3)
    if call.run.error is None and call.run.leaked:
        raise CheckFailed(
            f"Called {call.text}, where the download fails after 4 s. It returned {short(call.run.value)} at "
            f"{call.loop_time:g} s while the download task was still running: nobody awaited the task, so "
            "its failure could never reach the caller.",
            "Await the task before you return: `return await task` gives its result or raises its exception.",
        )
    expect.raised(
        call,
        error,
        URL,
        advice="Awaiting a task gives you its result, or raises the exception its coroutine raised. "
        "`return await task` and no try/except: the caller must learn that the download failed.",
    )


# --- crunch ----------------------------------------------------------------------------


def _compute(seconds: float) -> None:
    """Burn ``seconds`` of this thread's CPU time: the learner's 'heavy computation'."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class Process:
    """The ``process(item)`` handed to crunch: a plain function that computes for ``cost`` s
    of CPU time. Its first call starts a heartbeat coroutine on the same loop, which logs a
    tick each time it gets a turn after an item was processed."""

    name = "process"

    def __init__(self, cost: float = 0.0) -> None:
        self.cost = cost
        self.calls: list[Any] = []
        # ("item", item, on_loop) or ("tick",), in the order they happened. An item computed
        # in another thread (to_thread, run_in_executor) leaves the loop free meanwhile.
        self.log: list[tuple] = []
        self._beat: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None

    @staticmethod
    def result(item: Any) -> Any:
        return item * item

    def __call__(self, item: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        self.calls.append(item)
        self.log.append(("item", item, on_loop))
        _compute(self.cost)
        if on_loop:
            self._nudge()
        else:  # asyncio.to_thread copies the context, so the check's loop can be reached from here
            loop = current_loop.get()
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._nudge)
        return self.result(item)

    def _nudge(self) -> None:
        if self._beat is None:
            self._wake = asyncio.Event()
            self._beat = asyncio.get_running_loop().create_task(self._heartbeat(), name="heartbeat")
        self._wake.set()

    async def _heartbeat(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self.log.append(("tick",))

    def gaps(self) -> list[tuple[int, int]]:
        """Stretches of items (1-based positions, first..last) computed on the loop one after
        another with no tick in between."""
        between = []  # between[k-1]: item k and item k+1 had a tick (or a thread) between them
        previous_on_loop, ticked = None, False
        for entry in self.log:
            if entry[0] == "tick":
                ticked = True
                continue
            on_loop = entry[2]
            if previous_on_loop is not None:
                between.append(ticked or not (previous_on_loop and on_loop))
            previous_on_loop, ticked = on_loop, False
        runs: list[tuple[int, int]] = []
        for k, ok in enumerate(between, start=1):
            if ok:
                continue
            if runs and runs[-1][1] == k:
                runs[-1] = (runs[-1][0], k + 1)
            else:
                runs.append((k, k + 1))
        return runs

    def picture(self) -> str:
        tokens = [f"process({e[1]!r})" if e[0] == "item" else "tick" for e in self.log]
        if len(tokens) > 14:
            tokens = tokens[:10] + ["…"] + tokens[-3:]
        return "What happened, in order (tick = the heartbeat got a turn):\n  " + " ".join(tokens)


def judge_crunch(call, process: Process, items: list[Any]) -> None:
    got = call.result()
    wanted = [Process.result(item) for item in items]
    if not expect.same_items(process.calls, items):
        raise CheckFailed(
            f"Called {call.text}. process was called with {short(process.calls)}; expected one call per item: "
            f"{short(items)}."
        )
    if not expect.same(got, wanted):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected the results of process(item) for each "
            f"item, in order: {short(wanted)}."
        )
    gaps = process.gaps()
    if not gaps:
        return
    if gaps == [(1, len(items))]:
        raise CheckFailed(
            f"Called {call.text}. It processed all {len(items)} items without pausing once: a heartbeat "
            "coroutine running on the same loop got no turn until crunch was done. Expected it to get a "
            "turn after every item.",
            YIELD,
            process.picture(),
        )
    first, last = gaps[0]
    raise CheckFailed(
        f"Called {call.text}. It went through items {first} to {last} without pausing: a heartbeat coroutine "
        f"running on the same loop got no turn between them ({len(gaps)} such stretch(es) in "
        f"{len(items)} items). Expected it to get a turn after every item.",
        YIELD,
        process.picture(),
    )


@pytest.mark.points(2)
def test_crunch_lets_other_coroutines_run(learner):
    """crunch gives another coroutine a turn after every item, and returns the results in order"""
    items = [7, 3, 9, 1, 3, 8, 2, 5, 4, 6, 0, 10]
    process = Process()
    call = run(learner, "crunch", process, items)
    judge_crunch(call, process, items)
    empty = run(learner, "crunch", Process(), [])
    if not expect.same(empty.result(), []):
        raise CheckFailed(f"Called {empty.text}. It returned {short(empty.result())}; expected [].")


@pytest.mark.points(1)
def test_crunch_never_freezes_the_loop(learner):
    """crunch never holds the event loop for long, even when every item takes a while to compute"""
    items = [n * 7 % 31 for n in range(1, 31)]
    process = Process(cost=0.003)  # 30 items of 3 ms: 90 ms of computing in all
    call = run(learner, "crunch", process, items)
    judge_crunch(call, process, items)
