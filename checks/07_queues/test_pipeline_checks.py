"""Hidden checks of exercise 07: process_all and run_pipeline.

The fake ``fetch`` and ``process`` handed to the learner write one shared event log: what
started, finished or was cancelled, in order, at which loop time. Every verdict comes from
that log, from loop time, and (when a pipeline does not return) from what the learner's
tasks were waiting for on their queue at that moment.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from grader import learner_tasks
from grader.failure import CheckFailed
from grader.learner import describe_call, short
from grader.learner_tasks import Wait
from grader.timeline import Span, render

pytestmark = pytest.mark.judged_apart  # the learner's code runs in a process of its own (grader.remote)

EXACT = 1e-6  # loop time is virtual: correct code hits the expected figure exactly
GRACE = 60.0  # seconds of loop time, past the slowest possible schedule, before a run counts as stuck

STOP_WAYS = (
    "put one sentinel per consumer on the queue after the last item (a consumer returns when it "
    "takes one); or `await queue.join()` and then cancel the consumer tasks (and await them); "
    "or, on Python 3.13+, `queue.shutdown()` after the last item (get() then raises "
    "asyncio.QueueShutDown once the queue is empty)."
)
STOP = (
    "A consumer's `while True` loop needs a way out once no more items can come. Any of these: "
    + STOP_WAYS
)
TASK_DONE = (
    "Call `queue.task_done()` once for every item a consumer takes with get() (in a `finally:`, "
    "so it also runs when process fails). join() returns when every item put on the queue has "
    "had its task_done()."
)
EARLY_STOP = (
    "An empty queue does not mean the work is done: the producers may still be fetching. Stop "
    "the consumers only when no more items can come: a sentinel per consumer put after every "
    "producer has finished, or `await queue.join()` after the producers and then cancel them."
)
POOL = (
    "Start `workers` consumer tasks that each loop: take an item with `await queue.get()`, "
    "`await process(item)`, take the next. Each consumer processes one item at a time."
)
PACE = (
    "A consumer takes the next item the moment it is free, and a producer fetches its next url the moment "
    "its page is on the queue: wait with `await queue.get()` and `await queue.put(page)`, never with a sleep "
    "or by polling."
)
BOUND = "Create the queue with its bound, `asyncio.Queue(maxsize)`, and put with `await queue.put(page)`."
WAIT = (
    "`await queue.get()` waits until an item is there and wakes the consumer the moment one is "
    "put. Don't loop over `queue.get_nowait()` with a sleep (or a `wait_for` timeout) between tries."
)


# --- the fakes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One line of the shared log."""

    kind: str  # "start", "finish" or "cancel"
    who: str  # "fetch" or "process"
    arg: Any
    at: float
    call: int  # index into that fake's calls


class Log(list):
    """The shared log; ``cut`` is its length when the learner's function returned: what
    happened after (the harness cancelling tasks left running) is not the learner's doing."""

    cut: int | None = None

    def before_return(self) -> list[Entry]:
        return self if self.cut is None else self[: self.cut]


class Fake:
    """An async callable ``fake(arg)`` taking ``delay(arg)`` s of loop time and returning
    ``answer(arg)``; it writes start/finish/cancel to a log shared with the other fake."""

    def __init__(
        self,
        name: str,
        log: Log,
        delay: Callable[[Any], float],
        answer: Callable[[Any], Any],
        label: Callable[[Any], str],
    ) -> None:
        self.name = (
            name  # how the harness shows it in "Called run_pipeline(fetch, ...)"
        )
        self.log = log
        self.delay = delay
        self.answer = answer
        self.label = label
        self.calls: list[Any] = []
        self.in_flight = 0
        self.peak = 0
        self._handed_out: list[Any] = []
        self._entered: set[int] = set()

    def __call__(self, arg: Any) -> Any:
        self.calls.append(arg)
        coroutine = self._run(arg, len(self.calls) - 1)
        coroutine.__qualname__ = f"{self.name}({arg!r})"  # how a leaked task is named
        self._handed_out.append(coroutine)
        return coroutine

    async def _run(self, arg: Any, call: int) -> Any:
        self._entered.add(call)
        loop = asyncio.get_running_loop()
        self.log.append(Entry("start", self.name, arg, loop.time(), call))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay(arg))
        except asyncio.CancelledError:
            self.log.append(Entry("cancel", self.name, arg, loop.time(), call))
            raise
        finally:
            self.in_flight -= 1
        self.log.append(Entry("finish", self.name, arg, loop.time(), call))
        return self.answer(arg)

    def entries(self, kind: str) -> list[Entry]:
        """What this fake logged of ``kind`` up to the learner's return."""
        return [
            e for e in self.log.before_return() if e.who == self.name and e.kind == kind
        ]

    def never_awaited(self) -> int:
        """How many coroutines were handed out and never began to run (closing them)."""
        for coroutine in self._handed_out:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self.calls) - len(self._entered)

    def spans(self) -> list[Span]:
        ends = {e.call: e for e in self.log if e.who == self.name and e.kind != "start"}
        return [
            Span(
                self.label(e.arg),
                e.at,
                ends[e.call].at if e.call in ends else None,
                ends[e.call].kind if e.call in ends else "running",
            )
            for e in self.entries("start")
        ]


def page_of(url: str) -> str:
    return f"{url} page"


def url_of(page: Any) -> Any:
    return (
        page[: -len(" page")]
        if isinstance(page, str) and page.endswith(" page")
        else page
    )


@dataclass
class Job:
    """One run of a learner function: the fakes it gets and what it must do with them."""

    function: str
    args: tuple
    process: Fake
    expected: list[Any]  # what process must be called with, once each
    noun: str  # "item" or "page"
    fetch: Fake | None = None
    urls: list[str] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)
    workers: int = 1
    maxsize: int = 0

    @property
    def fakes(self) -> tuple[Fake, ...]:
        return (self.fetch, self.process) if self.fetch else (self.process,)

    @property
    def slowest(self) -> float:
        """Loop time of everything done one after another: no correct run takes longer."""
        fetching = sum(self.fetch.delay(u) for u in self.urls) if self.fetch else 0.0
        return fetching + sum(self.process.delay(a) for a in self.expected)

    def picture(
        self, expected: list[Span] | None = None, title: str = "Expected"
    ) -> str | None:
        spans = sorted(
            (s for fake in self.fakes for s in fake.spans()), key=lambda s: s.start
        )
        if not spans:
            return None
        return render(spans, expected, expected_title=title)


def items_job(items: list[str], workers: int, delay: Callable[[str], float]) -> Job:
    log = Log()
    process = Fake("process", log, delay, str.upper, lambda item: f"proc {item}")
    return Job(
        "process_all",
        (process, list(items), workers),
        process,
        list(items),
        "item",
        workers=workers,
    )


def pages_job(
    batches: list[list[str]],
    workers: int,
    maxsize: int,
    fetch_delay: Callable[[str], float],
    process_delay: float,
) -> Job:
    log = Log()
    fetch = Fake("fetch", log, fetch_delay, page_of, lambda url: f"fetch {url}")
    process = Fake(
        "process",
        log,
        lambda _page: process_delay,
        str.upper,
        lambda page: f"proc {url_of(page)}",
    )
    urls = [url for batch in batches for url in batch]
    args = (fetch, process, [list(b) for b in batches], workers, maxsize)
    return Job(
        "run_pipeline",
        args,
        process,
        [page_of(u) for u in urls],
        "page",
        fetch,
        urls,
        [list(b) for b in batches],
        workers,
        maxsize,
    )


def constant(seconds: float) -> Callable[[Any], float]:
    return lambda _arg: seconds


# --- the schedule a correct solution has ------------------------------------------------


def ideal(job: Job) -> tuple[list[Span], float]:
    """The spans of a correct run, and when it ends: producers fetch their urls back to back
    and wait only on a full queue; a free consumer takes the next item at once."""
    cap = job.maxsize if job.maxsize > 0 else float("inf")
    queue: deque[Any] = deque(job.expected if job.fetch is None else ())
    todo = [deque(b) for b in job.batches]
    fetching: dict[int, tuple[str, float, float]] = {}
    holding: dict[int, str] = {}
    busy: dict[int, tuple[Any, float, float]] = {}
    spans: list[Span] = []
    t = 0.0
    while True:
        changed = True
        while changed:
            changed = False
            for p, (url, start, end) in list(fetching.items()):
                if end <= t + EXACT:
                    del fetching[p]
                    spans.append(Span(job.fetch.label(url), start, end))
                    holding[p] = page_of(url)
                    changed = True
            for c, (item, start, end) in list(busy.items()):
                if end <= t + EXACT:
                    del busy[c]
                    spans.append(Span(job.process.label(item), start, end))
                    changed = True
            for p in list(holding):
                if len(queue) < cap:
                    queue.append(holding.pop(p))
                    changed = True
            for p, urls in enumerate(todo):
                if p not in fetching and p not in holding and urls:
                    url = urls.popleft()
                    fetching[p] = (url, t, t + job.fetch.delay(url))
                    changed = True
            for c in range(job.workers):
                if c not in busy and queue:
                    item = queue.popleft()
                    busy[c] = (item, t, t + job.process.delay(item))
                    changed = True
        ends = [end for *_, end in fetching.values()] + [
            end for *_, end in busy.values()
        ]
        if not ends:
            return sorted(spans, key=lambda s: (s.start, s.label)), t
        t = min(ends)


# --- running the learner's function -------------------------------------------------------


@dataclass
class Stuck:
    """What the scenario returns when the learner's function had not returned in time."""

    at: float
    waiting: list[Wait]


@dataclass
class Seen:
    leaked: list[str] = field(
        default_factory=list
    )  # learner tasks still pending at its return
    cancel_escaped: float | None = (
        None  # when it raised CancelledError though nobody cancelled it
    )


def _queue_waits(tasks: set[asyncio.Task]) -> list[Wait]:
    """Which tasks are paused in Queue.get / put / join."""
    return [w for w in learner_tasks.waits(tasks) if w.kind == "Queue" and w.method in ("get", "put", "join")]


def run(learner, job: Job):
    """Run the learner's function under a deadline; a run past it returns a Stuck report
    instead of counting as a plain hang, so the check can say what was stuck."""
    seen = Seen()
    deadline = job.slowest + GRACE

    async def scenario(function):
        before = asyncio.all_tasks()

        async def pipeline():
            try:
                return await function(*job.args)
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise  # the harness cancelled it
                seen.cancel_escaped = asyncio.get_running_loop().time()
                return None
            finally:
                job.process.log.cut = len(job.process.log)
                current = asyncio.current_task()
                seen.leaked = sorted(
                    learner_tasks.task_name(t) for t in learner_tasks.own(asyncio.all_tasks() - before - {current})
                )

        task = asyncio.get_running_loop().create_task(pipeline(), name=job.function)
        done, _ = await asyncio.wait({task}, timeout=deadline)
        if task in done:
            return task.result()
        return Stuck(
            asyncio.get_running_loop().time(),
            _queue_waits(asyncio.all_tasks() - before),
        )

    text = describe_call(job.function, job.args)
    call = learner.run_scenario(
        job.function, scenario, text=text, probes=job.fakes, limit=deadline + GRACE
    )
    return call, seen


# --- verdicts every run gets ----------------------------------------------------------------


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _listing(values: list[Any], limit: int = 4) -> str:
    shown = ", ".join(map(repr, values[:limit]))
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _finished(job: Job) -> Counter:
    return Counter(e.arg for e in job.process.entries("finish"))


def _all_done(total: int, noun: str, last: float) -> str:
    if total == 0:
        return f"There were no {noun}s to process at all"
    if total == 1:
        return f"The only {noun} was processed by {last:g} s of loop time"
    return f"All {total} {noun}s were processed by {last:g} s of loop time"


def judge_stuck(call, job: Job, stuck: Stuck) -> None:
    """The function had not returned long after any correct schedule ends: say what held it."""
    total = len(job.expected)
    finished = _finished(job)
    done = sum(min(finished[a], n) for a, n in Counter(job.expected).items())
    last = max((e.at for e in job.process.entries("finish")), default=0.0)
    later = f"{stuck.at - last:.0f} s later"
    picture = job.picture()
    if done == total:
        joins = [
            w
            for w in stuck.waiting
            if w.method == "join" and w.unfinished > 0
        ]
        if joins:
            unfinished = joins[0].unfinished
            raise CheckFailed(
                f"Called {call.text}. queue.join() never returned. {_all_done(total, job.noun, last)}, but {later} "
                f"the queue still counted {_plural(unfinished, 'unfinished item')}: join() waits until task_done() "
                "has been called once for every item put on the queue"
                + (", sentinels too." if unfinished != total else "."),
                TASK_DONE,
                picture,
            )
        getters = sum(1 for w in stuck.waiting if w.method == "get")
        article = "an" if job.noun == "item" else "a"
        waiting = (
            f", with {_plural(getters, 'consumer')} waiting in queue.get() for {article} {job.noun} that never comes"
            if getters
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}. Your consumers never stop: the pipeline did not return after all items were "
            f"processed. {_all_done(total, job.noun, last)}; {later} {job.function} was still waiting{waiting}.",
            STOP,
            picture,
        )
    putters = sum(1 for w in stuck.waiting if w.method == "put")
    if putters:
        raise CheckFailed(
            f"Called {call.text}. It never returned: it got stuck with {done} of {_plural(total, job.noun)} processed. "
            f"{_plural(putters, 'producer').capitalize()} waited to put {'a ' + job.noun if putters == 1 else job.noun + 's'} "
            "on a full queue, and no consumer was taking from it any more. Your consumers stopped before the "
            "work was done.",
            EARLY_STOP,
            picture,
        )
    kinds = Counter(w.method for w in stuck.waiting)
    quiet = max((e.at for e in job.process.log), default=0.0)
    where = "; ".join(
        f"{_plural(n, 'task')} waiting in queue.{kind}()"
        for kind, n in sorted(kinds.items())
    )
    raise CheckFailed(
        f"Called {call.text}. It stopped making progress with {done} of {_plural(total, job.noun)} processed: "
        f"after {quiet:g} s of loop time nothing happened any more{' (' + where + ')' if where else ''}. "
        f"Every {job.noun} put on the queue must reach a consumer, and the function must return once all are processed.",
        "Put every item on the queue the consumers read from, and let the consumers stop only after the last "
        "one: " + STOP_WAYS,
        picture,
    )


def _each_once(call, job: Job, fake: Fake, wanted: list[Any], what: str) -> None:
    # only exact strs are counted: a str subclass (or any object) with a lying __eq__/__hash__ would
    # count as an item it is not
    made, want = Counter(a for a in fake.calls if type(a) is str), Counter(wanted)
    strangers = [a for a in fake.calls if type(a) is not str] + [a for a in made if a not in want]
    if strangers and fake is job.process and job.fetch is not None:
        raise CheckFailed(
            f"Called {call.text}. process was called with {_listing(strangers)}, which fetch never returned. "
            "Process the page itself: `page = await fetch(url)` in the producer, `await process(page)` in a consumer."
        )
    extra = [a for a, n in made.items() if n > want[a]]
    if extra:
        times = max(made[a] for a in extra)
        raise CheckFailed(
            f"Called {call.text}. {fake.name} was called more than once for {_listing(extra)} (up to {times} times): "
            f"each {what} must be handled exactly once.",
            "Each producer fetches the urls of its own batch, each once."
            if fake is job.fetch
            else "Put every item on one queue, once, and let all the consumers take from that queue: get() removes "
            "the item, so no two consumers ever get the same one.",
        )
    if strangers:
        raise CheckFailed(
            f"Called {call.text}. {fake.name} was called with {_listing(strangers)}; expected only {_listing(wanted)}."
        )


def judge_work(call, job: Job, seen: Seen) -> None:
    """It returned (not stuck, not raised), every item was handled exactly once, the results
    came back, and no task was left running."""
    if isinstance(call.run.value, Stuck):
        judge_stuck(call, job, call.run.value)
    if seen.cancel_escaped is not None:
        raise CheckFailed(
            f"Called {call.text}. Nobody cancelled {job.function}, yet at {seen.cancel_escaped:g} s it raised "
            "CancelledError instead of returning the results: awaiting a consumer task you cancelled "
            "(`await task`, or `asyncio.gather(*consumers)`) raises that task's CancelledError in your code, and "
            f"you let it out. Its caller now believes {job.function} itself was cancelled.",
            "After cancelling the consumers, wait for them with `await asyncio.gather(*consumers, "
            "return_exceptions=True)` (or `await asyncio.wait(consumers)`), which does not raise their "
            "CancelledError; or stop them with a sentinel instead of cancel().",
        )
    got = call.result()
    for fake in job.fakes:
        unawaited = fake.never_awaited()
        if unawaited:
            raise CheckFailed(
                f"Called {call.text}. {_plural(unawaited, fake.name + '(...) call')} were made but never awaited, so "
                "they never ran.",
                f"Await each call: `{'page = await fetch(url)' if fake.name == 'fetch' else 'result = await process(item)'}`.",
            )
    if seen.leaked:
        finished = _finished(job)
        done = sum(min(finished[a], n) for a, n in Counter(job.expected).items())
        unfinished = (
            f" with {done} of {_plural(len(job.expected), job.noun)} processed"
            if done < len(job.expected)
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}. It returned{unfinished} while {_plural(len(seen.leaked), 'task')} it started "
            f"{'was' if len(seen.leaked) == 1 else 'were'} still running ({', '.join(seen.leaked)}).",
            "Await every consumer task before you return (gather them, or use a TaskGroup). If you cancel them, "
            "await them after: `await asyncio.gather(*consumers, return_exceptions=True)`.",
            job.picture(),
        )
    if job.fetch is not None:
        _each_once(call, job, job.fetch, job.urls, "url")
    _each_once(call, job, job.process, job.expected, job.noun)
    finished = _finished(job)
    lost = [a for a in job.expected if finished[a] == 0]
    if lost:
        cancelled = [e for e in job.process.entries("cancel")]
        never = [a for a in lost if a not in job.process.calls]
        parts = []
        if never:
            parts.append(f"{_listing(never)} never reached process")
        if cancelled:
            parts.append(
                f"process({cancelled[0].arg!r}) was cancelled at {cancelled[0].at:g} s"
                + (
                    f" ({len(cancelled)} cancelled in all)"
                    if len(cancelled) > 1
                    else ""
                )
            )
        raise CheckFailed(
            f"Called {call.text}. It returned after processing {len(job.expected) - len(lost)} of "
            f"{_plural(len(job.expected), job.noun)}: {'; '.join(parts)}. Every {job.noun} must be processed "
            "before the consumers stop.",
            "Cancel the consumers only after `await queue.join()` has returned (it waits for a task_done() per item), "
            "or stop them with sentinels put after the last item."
            if cancelled
            else EARLY_STOP,
            job.picture(),
        )
    expected = [job.process.answer(a) for a in job.expected]
    if isinstance(got, (list, tuple)) and any(
        asyncio.iscoroutine(v) or isinstance(v, asyncio.Future) for v in got
    ):
        raise CheckFailed(
            f"Called {call.text}. It returned coroutine or Task objects instead of what process returned.",
            "Keep the result of each `await process(item)` in the list you return.",
        )
    if type(got) is not list:
        hint = (
            " Collect each result of process in a list your consumers share, and return it."
            if got is None
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)} ({type(got).__name__}); expected a list of what process "
            f"returned, one per {job.noun}, in any order: {short(sorted(expected))}.{hint}"
        )
    if not all(type(v) is str for v in got) or Counter(got) != Counter(expected):
        missing = list(
            (Counter(expected) - Counter(v for v in got if type(v) is str)).elements()
        )
        extra = [v for v in got if type(v) is not str or v not in expected]
        detail = f" Missing: {_listing(missing)}." if missing else ""
        detail += f" Not expected: {_listing(extra)}." if extra else ""
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected what process returned for each {job.noun}, "
            f"in any order: {short(sorted(expected))}.{detail}"
        )
    if job.process.peak > job.workers:
        raise CheckFailed(
            f"Called {call.text}. {job.process.peak} process calls ran at the same time; with "
            f"{_plural(job.workers, 'worker')} at most {job.workers} may: each consumer processes one {job.noun} "
            f"at a time, awaiting process before it takes the next. A task per {job.noun} is not a pool of "
            f"consumers, and neither is a consumer that gathers a batch of {job.noun}s at once.",
            POOL,
            job.picture(),
        )


def _last_finish(job: Job) -> float:
    return max((e.at for e in job.process.entries("finish")), default=0.0)


def judge_stopped_on_time(call, job: Job) -> None:
    """It returned the moment the last item was processed: its consumers stopped at once."""
    last = _last_finish(job)
    if call.loop_time > last + EXACT:
        done = (
            f"The last {job.noun} was processed at {last:g} s of loop time"
            if job.expected
            else f"There were no {job.noun}s to process"
        )
        raise CheckFailed(
            f"Called {call.text}. {done}, but it returned only at {call.loop_time:g} s: its consumers stopped "
            f"{call.loop_time - last:g} s after the work was done. A consumer that polls (get_nowait and a sleep) "
            "or waits for a timeout (wait_for(queue.get(), ...)) stops late.",
            "Stop the consumers when the work is done, not after a timeout: "
            + STOP_WAYS,
            job.picture(),
        )


def judge_ran(call, job: Job, seen: Seen) -> None:
    judge_work(call, job, seen)
    judge_stopped_on_time(call, job)


def judge_workers(call, job: Job) -> None:
    """process ran ``workers`` at a time, no more, and the run took the loop time of that."""
    spans, end = ideal(job)
    picture = job.picture(spans, f"Expected: {job.workers} consumer(s), {end:g} s")
    peak, workers = job.process.peak, job.workers
    if peak < workers and len(job.expected) >= workers:
        how = "one at a time" if peak == 1 else f"at most {peak} at a time"
        raise CheckFailed(
            f"Called {call.text}. process ran {how} (the last {job.noun} was done at {_last_finish(job):g} s of loop "
            f"time); {workers} consumers process {workers} {job.noun}s at once, and are done at {end:g} s.",
            "Start all the consumers as tasks (or gather them) before waiting for any: they take items from the "
            "same queue, each at its own pace.",
            picture,
        )
    last = _last_finish(job)
    if abs(last - end) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. Its last {job.noun} was processed at {last:g} s of loop time; "
            f"{_plural(workers, 'consumer')}, each taking the next {job.noun} as soon as it is free, are done at {end:g} s.",
            PACE,
            picture,
        )


# --- process_all ------------------------------------------------------------------------------

FRUIT = {"kiwi": 3.0, "fig": 1.0, "pear": 2.0, "apple": 1.0, "plum": 2.0, "lime": 1.0}


@pytest.mark.points(1)
def test_process_all_processes_each_item_once(learner):
    """process_all processes every item exactly once and returns what process returned"""
    job = items_job(list(FRUIT), 2, FRUIT.__getitem__)
    call, seen = run(learner, job)
    judge_ran(call, job, seen)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "count, workers", [(7, 3), (4, 1)], ids=["3-workers", "1-worker"]
)
def test_process_all_runs_workers_at_once(learner, count, workers):
    """process_all runs exactly `workers` consumers at once: 7 items of 1 s with 3 workers take 3 s"""
    items = ["kiwi", "fig", "pear", "apple", "plum", "lime", "date"][:count]
    job = items_job(items, workers, constant(1.0))
    call, seen = run(learner, job)
    judge_work(call, job, seen)
    judge_workers(call, job)
    judge_stopped_on_time(call, job)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "items, workers",
    [(["kiwi", "fig", "pear", "apple", "plum"], 3), (["fig", "kiwi"], 4), ([], 2)],
    ids=["more-items", "more-workers", "no-items"],
)
def test_process_all_stops_its_consumers(learner, items, workers):
    """process_all returns as soon as the last item is processed: its consumers stop"""
    job = items_job(items, workers, lambda item: 0.5 * len(item))
    call, seen = run(learner, job)
    judge_ran(call, job, seen)


# --- run_pipeline -----------------------------------------------------------------------------

BATCHES = [["a1", "a2", "a3"], ["b1"], ["c1", "c2", "c3", "c4"]]
VARIED = {
    "a1": 0.5,
    "a2": 1.5,
    "a3": 1.0,
    "b1": 2.0,
    "c1": 0.25,
    "c2": 0.25,
    "c3": 1.0,
    "c4": 0.5,
}


@pytest.mark.points(2)
def test_pipeline_handles_every_page_once(learner):
    """run_pipeline fetches every url once, processes every page once, and returns the results"""
    job = pages_job(BATCHES, 2, 2, VARIED.__getitem__, 0.75)
    call, seen = run(learner, job)
    judge_ran(call, job, seen)


@pytest.mark.points(1)
def test_pipeline_runs_producers_together(learner):
    """run_pipeline runs one producer per batch, all at once: 3 batches of 2 urls fetch in 2 s"""
    batches = [["a1", "a2"], ["b1", "b2"], ["c1", "c2"]]
    job = pages_job(batches, 3, 3, constant(1.0), 0.5)
    call, seen = run(learner, job)
    judge_work(call, job, seen)
    spans, end = ideal(job)
    picture = job.picture(spans, f"Expected: 3 producers at once, {end:g} s")
    for batch in batches:
        starts = [e for e in job.fetch.entries("start") if e.arg in batch]
        order = [e.arg for e in starts]
        overlapping = any(
            later.at < earlier_end.at - EXACT
            for earlier_end, later in zip(
                [e for e in job.fetch.entries("finish") if e.arg in batch], starts[1:]
            )
        )
        if order != batch or overlapping:
            raise CheckFailed(
                f"Called {call.text}. The urls of batch {batch} were fetched {'in the order ' + str(order) if order != batch else 'at the same time'}: "
                "each producer fetches its batch's urls one after another, in order.",
                "One producer per batch: `for url in urls: page = await fetch(url); await queue.put(page)`.",
                picture,
            )
    if job.fetch.peak < len(batches):
        raise CheckFailed(
            f"Called {call.text}. At most {_plural(job.fetch.peak, 'fetch')} ran at once, so the producers ran one "
            f"after another ({call.loop_time:g} s of loop time). With one producer per batch running together, "
            f"{len(batches)} batches of 2 urls of 1 s are fetched in 2 s, and the pipeline ends at {end:g} s.",
            "Run the producers together: start each as a task (or gather them), and the consumers too, before "
            "waiting for any.",
            picture,
        )
    last = _last_finish(job)
    if abs(last - end) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. Its last page was processed at {last:g} s of loop time; with the producers "
            f"fetching together and the consumers processing each page as it comes, the last is done at {end:g} s.",
            PACE,
            picture,
        )
    judge_stopped_on_time(call, job)


@pytest.mark.points(1)
def test_pipeline_runs_consumers_together(learner):
    """run_pipeline runs exactly `workers` consumers at once: 6 pages of 1 s with 3 workers take 2 s"""
    job = pages_job([["a1", "a2", "a3", "a4", "a5", "a6"]], 3, 2, constant(0.0), 1.0)
    call, seen = run(learner, job)
    judge_work(call, job, seen)
    judge_workers(call, job)
    judge_stopped_on_time(call, job)


def backlog_peak(job: Job) -> tuple[int, float]:
    """The most pages fetched but not yet being processed at one moment, and when."""
    peak, at, backlog = 0, 0.0, 0
    for entry in job.fetch.log.before_return():
        if entry.who == "fetch" and entry.kind == "finish":
            backlog += 1
            if backlog > peak:
                peak, at = backlog, entry.at
        elif entry.who == "process" and entry.kind == "start":
            backlog -= 1
    return peak, at


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "batches, maxsize",
    [
        ([[f"a{n}" for n in range(1, 11)]], 2),
        ([[f"a{n}" for n in range(1, 6)], [f"b{n}" for n in range(1, 6)]], 3),
    ],
    ids=["1-producer", "2-producers"],
)
def test_pipeline_queue_is_bounded(learner, batches, maxsize):
    """run_pipeline's queue holds at most `maxsize` pages: producers wait while it is full"""
    job = pages_job(batches, 1, maxsize, constant(0.25), 1.0)
    call, seen = run(learner, job)
    judge_work(call, job, seen)
    producers = len(batches)
    most = (
        maxsize + producers
    )  # a full queue, and one page in the hands of each waiting producer
    peak, at = backlog_peak(job)
    if peak > most:
        hands = (
            "the producer waiting to put it"
            if producers == 1
            else f"each of the {producers} producers waiting to put"
        )
        raise CheckFailed(
            f"Called {call.text}: fetch takes 0.25 s, process 1 s, one consumer. At {at:g} s of loop time "
            f"{peak} fetched pages were waiting for the consumer; with asyncio.Queue(maxsize={maxsize}) at most "
            f"{most} can ({maxsize} in the queue, and one in the hands of {hands}). The queue grew without a "
            "bound: nothing slowed the producers down (no backpressure).",
            BOUND
            + " put() waits while the queue is full, so a fast producer keeps pace with slow consumers.",
        )
    if peak < maxsize:
        raise CheckFailed(
            f"Called {call.text}: fetch takes 0.25 s, process 1 s, one consumer. At most {peak} fetched page(s) ever "
            f"waited for the consumer: the queue never filled up to maxsize={maxsize}. Producers should only wait "
            "when the queue is full.",
            BOUND,
        )
    judge_stopped_on_time(call, job)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "batches, workers, maxsize",
    [([["a1", "a2", "a3"], ["b1", "b2"]], 2, 1), ([["a1"], []], 4, 2), ([], 2, 2)],
    ids=["more-pages", "more-workers", "no-batches"],
)
def test_pipeline_stops_when_done(learner, batches, workers, maxsize):
    """run_pipeline returns as soon as the last page is processed: its consumers stop"""
    job = pages_job(
        batches, workers, maxsize, constant(0.83), 1.37
    )  # odd delays: no poll period lands on them
    call, seen = run(learner, job)
    judge_ran(call, job, seen)


ODD = {
    "a1": 1.237,
    "a2": 2.411,
    "a3": 0.733,
    "b1": 1.529,
    "b2": 2.086,
}  # no poll period lands on these


@pytest.mark.points(1)
def test_pipeline_consumers_wait_for_pages(learner):
    """run_pipeline's consumers wait for pages with await queue.get(), they don't poll"""
    job = pages_job([["a1", "a2", "a3"], ["b1", "b2"]], 2, 5, ODD.__getitem__, 0.5)
    call, seen = run(learner, job)
    judge_work(call, job, seen)
    ready = {e.arg: e.at for e in job.fetch.entries("finish")}
    starts = job.process.entries("start")
    late = [(e, e.at - ready[url_of(e.arg)]) for e in starts if url_of(e.arg) in ready]
    worst, lag = max(late, key=lambda pair: pair[1])
    if lag > EXACT:
        spans, _ = ideal(job)
        url = url_of(worst.arg)
        raise CheckFailed(
            f"Called {call.text}. fetch({url!r}) returned its page at {ready[url]:g} s of loop time, but "
            f"process({worst.arg!r}) started only at {worst.at:g} s, {lag:.3g} s later. Pages arrive here one at a "
            "time, far apart, so a consumer waiting on the queue takes each the moment it is put: your consumers "
            "look for pages now and then (polling) instead of waiting for one.",
            WAIT,
            job.picture(
                spans, "Expected: each page processed as soon as it is fetched"
            ),
        )
    judge_stopped_on_time(call, job)


PUT_FETCH, PUT_PROCESS = (
    0.31,
    1.37,
)  # odd delays: no poll period lands on the moment room is made


@pytest.mark.points(1)
def test_pipeline_producers_wait_on_a_full_queue(learner):
    """run_pipeline's producers wait in await queue.put(): a page goes in the moment there is room"""
    urls = [f"a{n}" for n in range(1, 7)]
    job = pages_job([urls], 1, 1, constant(PUT_FETCH), PUT_PROCESS)
    call, seen = run(learner, job)
    judge_work(call, job, seen)
    started = {e.arg: e.at for e in job.fetch.entries("start")}
    finished = {e.arg: e.at for e in job.fetch.entries("finish")}
    takes = sorted(
        e.at for e in job.process.entries("start")
    )  # a consumer took a page: room was made
    for before, after in itertools.pairwise(urls):
        if before not in finished or after not in started:
            continue
        at, ready = started[after], finished[before]
        if at <= ready + EXACT or any(abs(at - t) <= EXACT for t in takes):
            continue  # put at once, or the moment a consumer made room
        room = max((t for t in takes if t < at - EXACT), default=ready)
        room = max(room, ready)
        raise CheckFailed(
            f"Called {call.text}: fetch takes {PUT_FETCH:g} s, process {PUT_PROCESS:g} s, maxsize=1. The page of "
            f"{before!r} was fetched at {ready:g} s; there was room on the queue from {room:g} s, but the producer "
            f"fetched {after!r} only at {at:g} s, {at - room:.3g} s later: it put the page in only then. Your "
            "producers look for room now and then (put_nowait and a sleep) instead of waiting for it.",
            "Put with `await queue.put(page)`: it waits while the queue is full and goes on the moment a "
            "consumer takes a page, with no sleep and no polling.",
            job.picture(),
        )
    judge_stopped_on_time(call, job)
