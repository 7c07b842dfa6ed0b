"""Hidden checks of exercise 05: from_callback, first_message, pool_results.

The learner gets fakes of three APIs that do not speak async:

- ``start(request, on_done)`` answers once, later (or at once), through a callback;
- ``subscribe(channel, on_message)`` calls back once per message, until unsubscribed;
- ``submit(job)`` returns a ``concurrent.futures.Future``, as a thread pool does.

Each fake records, in loop time, what it did and what the learner's callbacks did in
return. An exception raised inside a learner's callback is kept with its line (the fake
swallows it, as a real library would only log it), and a ``.result()`` that would have
blocked the loop's thread is noted at the moment it is called. Verdicts come from those
records and from loop time, never from wall-clock time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader import expect
from grader.failure import CheckFailed
from grader.learner import describe_call, error_text, short
from grader.loop import current_loop
from grader.timeline import Span

EXACT = expect.EXACT
PATIENCE = 60.0  # s of loop time a check waits for an answer that came at 1-2 s (virtual: free)

SETTLE = (
    "Settle the future on every path, exactly once: `future.set_exception(error)` when error is not "
    "None, otherwise `future.set_result(result)`."
)
CREATE_FIRST = (
    "Create the future before you call start: `future = asyncio.get_running_loop().create_future()`, "
    "then `start(request, on_done)`, then `return await future`. A callback API may answer at once, "
    "inside the call."
)
ONCE = (
    "A future can be resolved only once. Look before you set it: `if not future.done(): "
    "future.set_result(...)`. A future whose awaiter was cancelled is done too (cancelled)."
)
UNSUBSCRIBE = (
    "Unsubscribe in a `finally:` around the await: `unsubscribe = subscribe(channel, on_message)`, "
    "then `try: return await future` / `finally: unsubscribe()`. A finally block runs on return and "
    "on cancellation alike."
)
WRAP = (
    "Await it instead: `await asyncio.wrap_future(future)` turns a concurrent.futures.Future into an "
    "asyncio future, which waits without blocking the loop. Submit every job first, then "
    "`await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))`."
)


def secs(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def now() -> float:
    return asyncio.get_running_loop().time()  # a check's loop starts at 0


# --- what a learner's callback did ------------------------------------------------------


@dataclass(frozen=True)
class CallbackError:
    """A learner callback raised while a fake called it."""

    call: str  # how it was called, e.g. "on_done(None, 'reply to order-7')"
    error: BaseException
    at: float


class CallsBack:
    """Calls a learner's callback the way a library does: what it raises is kept, not spread."""

    def __init__(self) -> None:
        self.callback_errors: list[CallbackError] = []
        self.async_callbacks: list[
            str
        ] = []  # callbacks that returned a coroutine object

    def call_back(self, function: Callable[..., Any], args: tuple, text: str) -> None:
        try:
            returned = function(*args)
        except Exception as error:  # noqa: BLE001 - whatever the callback raises is reported
            self.callback_errors.append(CallbackError(text, error, now()))
            return
        if inspect.iscoroutine(returned):
            returned.close()
            self.async_callbacks.append(text)

    def never_awaited(self) -> int:  # the harness asks every probe
        return 0


# --- start(request, on_done) ------------------------------------------------------------


def reply(request: Any) -> str:
    return f"reply to {request}"


@dataclass
class Started:
    request: Any
    at: float
    answered: float | None = None


class Operation(CallsBack):
    """``start(request, on_done)``: returns None at once; ``delay`` s later (or at once, inside
    the call, with ``at_once``) calls ``on_done(None, result)``, or ``on_done(error, None)``."""

    name = "start"

    def __init__(
        self,
        delay: float = 1.0,
        *,
        error: BaseException | None = None,
        at_once: bool = False,
        result: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__()
        self.delay = delay
        self.error = error
        self.at_once = at_once
        self.result = result or reply  # the result it reports for a request
        self.started: list[Started] = []

    @property
    def calls(self) -> list[Any]:
        return [s.request for s in self.started]

    def args_for(self, request: Any) -> tuple:
        return (
            (self.error, None)
            if self.error is not None
            else (None, self.result(request))
        )

    def answer_text(self, request: Any) -> str:
        first, second = self.args_for(request)
        return f"on_done({short(first)}, {short(second)})"

    def __call__(self, request: Any, on_done: Any = None, *more: Any) -> None:
        if more or not callable(on_done):
            raise TypeError(
                f"start(request, on_done) takes a request and a function to call back; got {short((request, on_done, *more))}"
            )
        started = Started(request, now())
        self.started.append(started)
        if self.at_once:
            self._answer(started, on_done)
        else:
            asyncio.get_running_loop().call_later(
                self.delay, self._answer, started, on_done
            )

    def _answer(self, started: Started, on_done: Callable[..., Any]) -> None:
        started.answered = now()
        self.call_back(
            on_done, self.args_for(started.request), self.answer_text(started.request)
        )

    def spans(self) -> list[Span]:
        outcome = "fail" if self.error is not None else "finish"
        return [
            Span(
                repr(s.request),
                s.at,
                s.answered,
                outcome if s.answered is not None else "running",
            )
            for s in self.started
        ]


# --- subscribe(channel, on_message) -----------------------------------------------------


@dataclass
class Subscription:
    channel: Any
    at: float
    until: float | None = None  # when it was unsubscribed
    delivered: list[tuple[Any, float]] = field(default_factory=list)


class Channel(CallsBack):
    """``subscribe(channel, on_message)``: calls ``on_message(message)`` for each scripted
    ``(seconds after subscribing, message)`` until unsubscribed; returns ``unsubscribe``."""

    name = "subscribe"

    def __init__(self, script: list[tuple[float, Any]]) -> None:
        super().__init__()
        self.script = script
        self.subscriptions: list[Subscription] = []

    @property
    def calls(self) -> list[Any]:
        return [s.channel for s in self.subscriptions]

    @property
    def active(self) -> list[Subscription]:
        return [s for s in self.subscriptions if s.until is None]

    def __call__(
        self, channel: Any, on_message: Any = None, *more: Any
    ) -> Callable[[], None]:
        if more or not callable(on_message):
            raise TypeError(
                f"subscribe(channel, on_message) takes a channel and a function to call back; got {short((channel, on_message, *more))}"
            )
        loop = asyncio.get_running_loop()
        subscription = Subscription(channel, loop.time())
        self.subscriptions.append(subscription)
        for seconds, message in self.script:
            loop.call_later(seconds, self._deliver, subscription, on_message, message)

        def unsubscribe() -> None:
            if subscription.until is None:
                subscription.until = loop.time()

        return unsubscribe

    def _deliver(
        self, subscription: Subscription, on_message: Callable[[Any], Any], message: Any
    ) -> None:
        if subscription.until is not None:
            return
        subscription.delivered.append((message, now()))
        self.call_back(on_message, (message,), f"on_message({message!r})")

    def spans(self) -> list[Span]:
        return [
            Span(
                f"sub {s.channel!r}",
                s.at,
                s.until,
                "finish" if s.until is not None else "running",
            )
            for s in self.subscriptions
        ]


# --- submit(job) ------------------------------------------------------------------------


def done_text(job: Any) -> str:
    return f"{job}: done"


@dataclass
class Job:
    job: Any
    at: float
    end: float | None = None
    outcome: str = "running"
    handle: asyncio.TimerHandle | None = None
    future: concurrent.futures.Future | None = None


@dataclass(frozen=True)
class Blocked:
    """A learner asked a running job's future for its result on the loop's own thread."""

    job: Any
    method: str  # "result" or "exception"
    at: float
    stack: list[traceback.FrameSummary]


class JobFuture(concurrent.futures.Future):
    """The future ``submit`` returns: a real concurrent.futures.Future that notices a
    blocking ``result()`` / ``exception()`` on the loop's thread."""

    def __init__(self, pool: Pool, job: Job) -> None:
        super().__init__()
        self._pool, self._job = pool, job

    def result(self, timeout: float | None = None) -> Any:
        self._pool.waited_on(self, self._job, "result")
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._pool.waited_on(self, self._job, "exception")
        return super().exception(timeout)


class Pool:
    """``submit(job)``: starts the job "in a worker thread" and returns its
    concurrent.futures.Future, done ``delays[job]`` s of loop time later.

    The job is finished by the loop's clock, so loop time stays exact. If the learner calls
    ``.result()`` on the loop's thread before it is done, that is noted and the job finishes
    on the spot, as if the loop had been frozen until it ended.
    """

    name = "submit"

    def __init__(
        self, delays: dict[Any, float], errors: dict[Any, BaseException] | None = None
    ) -> None:
        self.delays = delays
        self.errors = dict(errors or {})
        self.jobs: list[Job] = []
        self.blocked: list[Blocked] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def calls(self) -> list[Any]:
        return [j.job for j in self.jobs]

    def expected(self, job: Any) -> Any:
        return self.errors.get(job) if job in self.errors else done_text(job)

    def __call__(self, job: Any) -> concurrent.futures.Future:
        loop = self.loop = (
            current_loop.get() or self.loop
        )  # to_thread copies the context; run_in_executor does not, so run_pool sets self.loop first
        record = Job(job, loop.time())
        self.jobs.append(record)
        future = record.future = JobFuture(self, record)
        future.set_running_or_notify_cancel()

        def schedule() -> None:
            record.handle = loop.call_later(
                self.delays.get(job, 1.0), self._finish, record, future
            )

        if _on_thread_of(loop):
            schedule()
        else:
            loop.call_soon_threadsafe(schedule)
        return future

    def _finish(self, record: Job, future: concurrent.futures.Future) -> None:
        if future.done():
            return
        record.end = self.loop.time()
        if record.job in self.errors:
            record.outcome = "fail"
            future.set_exception(self.errors[record.job])
        else:
            record.outcome = "finish"
            future.set_result(done_text(record.job))

    def waited_on(
        self, future: concurrent.futures.Future, record: Job, method: str
    ) -> None:
        if future.done() or self.loop is None or not _on_thread_of(self.loop):
            return
        self.blocked.append(
            Blocked(record.job, method, self.loop.time(), traceback.extract_stack())
        )
        if record.handle is not None:
            record.handle.cancel()
        self._finish(record, future)

    def release(self) -> None:
        """Cancel the jobs still running once the run is over, so a worker thread waiting on one
        (``to_thread(future.result)``) ends instead of keeping the check process alive."""
        for job in self.jobs:
            if job.future is not None and not job.future.done():
                job.future.set_exception(
                    concurrent.futures.CancelledError("the check is over")
                )

    def spans(self) -> list[Span]:
        return [Span(repr(j.job), j.at, j.end, j.outcome) for j in self.jobs]

    def never_awaited(self) -> int:
        return 0


def _on_thread_of(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


# --- running the learner's function -----------------------------------------------------


@dataclass(frozen=True)
class StillWaiting:
    """The learner's coroutine had not returned after ``at`` s of loop time."""

    at: float


@dataclass(frozen=True)
class Gave:
    """What a caller that used a time limit saw: the value, or that the limit ran out."""

    value: Any = None
    timed_out: bool = False
    at: float = 0.0
    swallowed: bool = False  # it was cancelled by the time limit, and returned anyway


def run_waiting(
    learner,
    name: str,
    *args: Any,
    fakes: tuple = (),
    patience: float = PATIENCE,
    linger: float = 0.0,
):
    """Call ``name(*args)``; stop waiting for it after ``patience`` s of loop time (the run
    then returns StillWaiting). After it returns, the loop runs on until ``linger`` s, so
    that callbacks still on their way arrive."""

    finished: list[float] = []

    async def scenario(function):
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(function(*args))
        done, _ = await asyncio.wait({task}, timeout=patience)
        finished.append(loop.time())
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
            return StillWaiting(finished[0])
        if loop.time() < linger and not task.cancelled() and task.exception() is None:
            await asyncio.sleep(linger - loop.time())
        return task.result()

    call = learner.run_scenario(
        name, scenario, text=describe_call(name, args), probes=fakes
    )
    call.ended = (
        finished[0] if finished else call.loop_time
    )  # when the learner's coroutine returned
    return call


def ended(call) -> float:
    """Loop time when the learner's coroutine returned (the loop may have run on after it)."""
    return getattr(call, "ended", call.loop_time)


def run_with_time_limit(
    learner, name: str, *args: Any, fakes: tuple, limit: float, linger: float
):
    """Call ``name(*args)`` as a caller with a time limit does: ``asyncio.wait_for(..., limit)``.
    The loop then runs on until ``linger`` s, so a late answer still arrives."""

    async def scenario(function):
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(function(*args))
        try:
            value = await asyncio.wait_for(task, timeout=limit)
            swallowed = (
                task.cancelling() > 0
            )  # wait_for cancelled it, yet it returned a value
            gave = Gave(value=value, at=loop.time(), swallowed=swallowed)
        except TimeoutError:
            gave = Gave(timed_out=True, at=loop.time())
        if loop.time() < linger:
            await asyncio.sleep(linger - loop.time())
        return gave

    text = f"asyncio.wait_for({describe_call(name, args)}, timeout={limit:g})"
    return learner.run_scenario(name, scenario, text=text, probes=fakes)


SWALLOWED = (
    "Let the cancellation out: don't catch asyncio.CancelledError (a `finally:` runs on cancellation "
    "without catching it), or end your `except asyncio.CancelledError:` block with `raise`."
)


def swallowed_cancel(call, gave: Gave, waits_for: str) -> None:
    """The time limit cancelled the learner's coroutine, and it returned a value instead of ending cancelled."""
    if not gave.swallowed:
        return
    raise CheckFailed(
        f"Called {call.text}, where {waits_for}. At {secs(gave.at)} the time limit cancelled it, and it "
        f"returned {short(gave.value)} instead of ending cancelled: it caught the CancelledError. Its caller "
        "takes that value for an answer, and can no longer tell that the call was cut short.",
        SWALLOWED,
    )


def where(call, error: BaseException) -> str:
    return call.where(error)


def learner_line(call, stack: list[traceback.FrameSummary]) -> str:
    inside = [f for f in stack if f.filename in call.learner.files]
    if not inside:
        return call.learner.exercise.filename
    last = inside[-1]
    return f"{Path(last.filename).name}:{last.lineno} (`{(last.line or '').strip()}`)"


# --- shared verdicts --------------------------------------------------------------------


def callbacks_fine(
    call, fake: CallsBack, advice: str, *, at_once: bool = False
) -> None:
    """No learner callback raised, and none was an ``async def``."""
    if fake.async_callbacks:
        raise CheckFailed(
            f"Called {call.text}. {fake.name} called {fake.async_callbacks[0]}, and your callback only returned a "
            "coroutine object: it is an `async def`, so none of its code ran. A callback API calls plain functions "
            "and never awaits what they return.",
            "Make the callback a plain `def`: future.set_result(...) and future.set_exception(...) are plain "
            "calls, no await needed.",
        )
    if not fake.callback_errors:
        extra = [
            m for m in call.run.loop_errors if m.startswith("Exception in callback")
        ]
        if extra:
            raise CheckFailed(
                f'Called {call.text}. A callback your code scheduled on the loop raised: "{extra[0]}".',
                advice,
            )
        return
    first = fake.callback_errors[0]
    error = first.error
    text = (
        f"Called {call.text}. At {secs(first.at)}, {fake.name} called {first.call}, and your callback raised "
        f"{error_text(error)} at {where(call, error)}"
    )
    if isinstance(
        error, (asyncio.InvalidStateError, concurrent.futures.InvalidStateError)
    ):
        text += (
            ": it set a future that was already done. A future is resolved once; after that (or after its "
            "awaiter was cancelled) set_result and set_exception raise."
        )
    elif at_once and isinstance(error, NameError):
        text += f": {fake.name} called back at once, inside the call {fake.name}(...), before the line after it ran."
    elif isinstance(error, TypeError) and "positional argument" in str(error):
        text += ". Look at how the callback is called, above: it must take exactly those arguments."
    else:
        text += "."
    if len(fake.callback_errors) > 1:
        text += f" ({len(fake.callback_errors)} callback calls raised in all.)"
    raise CheckFailed(
        text
        + " The library swallows (logs) what a callback raises, so nobody waiting learns of it.",
        advice,
    )


def started_once(call, operation: Operation, request: Any) -> None:
    if not operation.started:
        if call.run.error is not None and not isinstance(call.run.value, StillWaiting):
            call.result()
        raise CheckFailed(
            f"Called {call.text}. It never called start: the answer comes only from "
            f"start({request!r}, on_done), through on_done.",
            CREATE_FIRST,
        )
    if not expect.same(operation.calls, [request]):
        raise CheckFailed(
            f"Called {call.text}. It called start {len(operation.calls)} time(s), with {short(operation.calls)}; "
            f"expected one call, start({request!r}, on_done)."
        )


def still_waiting(call, fake, answered: str, advice: str) -> None:
    """The learner's coroutine never returned although the answer had come."""
    gave_up = call.run.value
    if not isinstance(gave_up, StillWaiting):
        return
    raise CheckFailed(
        f"Called {call.text}. {answered} At {secs(gave_up.at)} it was still waiting (the check then stopped "
        "it): the future it awaits was never resolved, so its caller would have waited forever.",
        advice,
        call.schedule(),
    )


def returned_at(call, expected: Any, at: float, what: str, concept: str) -> None:
    got = call.result()
    if got is None and expected is not None:
        raise CheckFailed(
            f"Called {call.text}. It returned None; expected {what}, {short(expected)}.",
            "Did you forget the `return`? `return await future` gives what the future was set to.",
        )
    if not expect.same(got, expected):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected {what}, {short(expected)}.",
            concept,
        )
    if abs(ended(call) - at) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It returned the right value, but at {secs(ended(call))} of loop time; "
            f"the answer came at {secs(at)}, and it should return right then.",
            "Wait for the future itself (`await future`), not for a fixed time or by polling.",
        )


# --- from_callback ----------------------------------------------------------------------

REQUEST = "order-7"


def judge_answer(call, start: Operation, request: Any) -> None:
    started_once(call, start, request)
    callbacks_fine(
        call,
        start,
        SETTLE if not start.at_once else CREATE_FIRST,
        at_once=start.at_once,
    )
    s = start.started[0]
    when = "inside the call, at once" if start.at_once else f"at {secs(s.answered)}"
    still_waiting(
        call,
        start,
        f"start called {start.answer_text(request)} {when}.",
        SETTLE if not start.at_once else CREATE_FIRST,
    )
    returned_at(
        call,
        start.result(request),
        s.answered,
        "the result start passed to on_done",
        "Return the result: `return await future`.",
    )


def judge_failure(call, start: Operation, request: Any) -> None:
    error = start.error
    started_once(call, start, request)
    s = start.started[0]
    when = "inside the call, at once" if start.at_once else f"at {secs(s.answered)}"
    callbacks_fine(
        call,
        start,
        SETTLE if not start.at_once else CREATE_FIRST,
        at_once=start.at_once,
    )
    still_waiting(
        call,
        start,
        f"The operation failed: start called {start.answer_text(request)} {when}. Nothing settled the future on "
        "this error path.",
        SETTLE if not start.at_once else CREATE_FIRST,
    )
    if call.run.error is None and call.run.value is error:
        raise CheckFailed(
            f"Called {call.text}, where the operation fails with {error_text(error)}. It returned the exception "
            "object instead of raising it: future.set_result(error) hands the error over as a plain value.",
            "Use `future.set_exception(error)`: awaiting the future then raises the error.",
        )
    expect.raised(
        call,
        error,
        request,
        advice=SETTLE + " Then `await future` raises the error for you.",
    )
    if abs(ended(call) - s.answered) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It raised the error at {secs(ended(call))}; the operation failed at "
            f"{secs(s.answered)}, and the error should come out right then.",
            "Wait for the future itself (`await future`), not for a fixed time or by polling.",
        )


@pytest.mark.points(2)
def test_from_callback_returns_the_result(learner):
    """from_callback returns what the callback API answered, as soon as it answers"""
    start = Operation(delay=2.0)
    call = run_waiting(learner, "from_callback", start, REQUEST, fakes=(start,))
    judge_answer(call, start, REQUEST)


@pytest.mark.points(2)
def test_from_callback_raises_the_error(learner):
    """from_callback raises the error the callback API reported, and never hangs on it"""
    start = Operation(delay=1.0, error=ConnectionError("the server hung up on order-7"))
    call = run_waiting(learner, "from_callback", start, REQUEST, fakes=(start,))
    judge_failure(call, start, REQUEST)


@pytest.mark.points(1)
def test_from_callback_returns_a_result_of_none(learner):
    """from_callback returns a result of None too: on_done(None, None) is a success, not an error"""
    start = Operation(delay=1.0, result=lambda request: None)
    call = run_waiting(learner, "from_callback", start, REQUEST, fakes=(start,))
    started_once(call, start, REQUEST)
    if start.callback_errors or call.run.error is not None:
        what = (
            start.callback_errors[0].error if start.callback_errors else call.run.error
        )
        if not start.callback_errors and call.run.error is not None:
            where_text = call.where(call.run.error)
        else:
            where_text = where(call, what)
        raise CheckFailed(
            f"Called {call.text}, where the operation succeeds with the result None: start called "
            f"on_done(None, None) at 1 s. Your code took that for a failure and raised {error_text(what)} at "
            f"{where_text}. Whether it failed is told by the error alone: a result may be None, 0 or empty.",
            "Decide by the error: `if error is not None: future.set_exception(error)`, "
            "`else: future.set_result(result)`.",
        )
    judge_answer(call, start, REQUEST)


@pytest.mark.points(1)
@pytest.mark.parametrize("outcome", ["result", "error"])
def test_from_callback_handles_an_answer_at_once(learner, outcome):
    """from_callback works when start calls on_done at once, inside the call (a cached answer)"""
    error = LookupError("no such order: order-7") if outcome == "error" else None
    start = Operation(error=error, at_once=True)
    call = run_waiting(learner, "from_callback", start, REQUEST, fakes=(start,))
    if outcome == "error":
        judge_failure(call, start, REQUEST)
    else:
        judge_answer(call, start, REQUEST)


@pytest.mark.points(2)
def test_from_callback_ignores_a_late_answer(learner):
    """from_callback, given up on by its caller, lets the answer that comes later do no harm"""
    start = Operation(delay=2.0)
    call = run_with_time_limit(
        learner, "from_callback", start, REQUEST, fakes=(start,), limit=1.0, linger=3.0
    )
    gave = call.result()
    started_once(call, start, REQUEST)
    swallowed_cancel(call, gave, "the answer comes at 2 s")
    if not gave.timed_out:
        raise CheckFailed(
            f"Called {call.text}, where the answer comes at 2 s. It returned {short(gave.value)} at {secs(gave.at)}, "
            "before the answer came; expected it to wait for the answer (and so to be cancelled at 1 s by the "
            "time limit).",
            "Return only what the future was set to: `return await future`.",
        )
    callbacks_fine(
        call,
        start,
        ONCE
        + " Here the caller gave up at 1 s, which cancelled the awaited future; the answer came at 2 s anyway.",
    )


# --- first_message ----------------------------------------------------------------------

CHANNEL = "alerts"


def subscribed_once(call, channel: Channel) -> None:
    if not channel.subscriptions:
        if call.run.error is not None and not isinstance(call.run.value, StillWaiting):
            call.result()
        raise CheckFailed(
            f"Called {call.text}. It never called subscribe: messages come only through "
            f"subscribe({CHANNEL!r}, on_message).",
            "Subscribe with a callback that resolves a future: `unsubscribe = subscribe(channel, on_message)`.",
        )
    if not expect.same(channel.calls, [CHANNEL]):
        raise CheckFailed(
            f"Called {call.text}. It called subscribe {len(channel.calls)} time(s), with {short(channel.calls)}; "
            f"expected one call, subscribe({CHANNEL!r}, on_message)."
        )


def judge_first(call, channel: Channel, advice: str) -> None:
    subscribed_once(call, channel)
    callbacks_fine(call, channel, advice)
    delivered = channel.subscriptions[0].delivered
    first_at = delivered[0][1] if delivered else None
    if delivered:
        still_waiting(
            call,
            channel,
            f"The first message came at {secs(first_at)}: subscribe called on_message({delivered[0][0]!r}).",
            ONCE,
        )
    got = call.result()
    if not delivered:
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)} at {secs(ended(call))}, before any message came; "
            "expected it to wait for the first message and return it.",
            "Await a future that on_message resolves: `return await future`.",
        )
    together = (
        [m for m, at in delivered if abs(at - first_at) <= EXACT] if delivered else []
    )
    if len(together) > 1 and expect.same(got, together[-1]):
        raise CheckFailed(
            f"Called {call.text}. {len(together)} messages came at the same moment, {secs(first_at)}: "
            f"{', '.join(map(repr, together))}. It returned {got!r}, the last of them; expected the first, "
            f"{together[0]!r}. Each later message overwrote the one before.",
            ONCE,
        )
    returned_at(call, delivered[0][0], first_at, "the first message", ONCE)


@pytest.mark.points(1)
def test_first_message_returns_the_first(learner):
    """first_message returns the first message as soon as it comes"""
    channel = Channel([(1.5, "disk 91% full"), (4.0, "disk 95% full")])
    call = run_waiting(learner, "first_message", channel, CHANNEL, fakes=(channel,))
    judge_first(call, channel, ONCE)


@pytest.mark.points(2)
def test_first_message_survives_a_burst(learner):
    """first_message takes the first of 3 messages that come at the same moment, and nothing raises"""
    channel = Channel(
        [(2.0, "alarm 1"), (2.0, "alarm 2"), (2.0, "alarm 3"), (3.0, "all clear")]
    )
    call = run_waiting(learner, "first_message", channel, CHANNEL, fakes=(channel,))
    judge_first(
        call,
        channel,
        ONCE
        + " Here 3 messages came at the same moment, before your coroutine could resume.",
    )


@pytest.mark.points(1)
@pytest.mark.parametrize("ending", ["returns", "cancelled"])
def test_first_message_unsubscribes(learner, ending):
    """first_message unsubscribes when it returns, and when its caller gives up on it"""
    if ending == "returns":
        channel = Channel([(1.0, "hello"), (2.0, "hello again"), (3.0, "still here")])
        call = run_waiting(
            learner, "first_message", channel, CHANNEL, fakes=(channel,), linger=4.0
        )
        judge_first(call, channel, ONCE)
        end, how = 1.0, "when it returned, at 1 s"
    else:
        channel = Channel([(2.0, "too late"), (3.0, "later still")])
        call = run_with_time_limit(
            learner,
            "first_message",
            channel,
            CHANNEL,
            fakes=(channel,),
            limit=1.0,
            linger=4.0,
        )
        gave = call.result()
        subscribed_once(call, channel)
        swallowed_cancel(call, gave, "the first message comes at 2 s")
        if not gave.timed_out:
            raise CheckFailed(
                f"Called {call.text}, where the first message comes at 2 s. It returned {short(gave.value)} at "
                f"{secs(gave.at)}; expected it to wait for a message (and so to be cancelled at 1 s by the time limit)."
            )
        end, how = 1.0, "when its caller gave up and cancelled it, at 1 s"
    subscription = channel.subscriptions[0]
    if subscription.until is None or subscription.until > end + EXACT:
        late = [m for m, at in subscription.delivered if at > end + EXACT]
        after = (
            f" Messages kept coming to your on_message afterwards: {', '.join(map(repr, late))}."
            if late
            else ""
        )
        when = (
            "never"
            if subscription.until is None
            else f"only at {secs(subscription.until)}"
        )
        raise CheckFailed(
            f"Called {call.text}. It was still subscribed {how}: it unsubscribed {when}.{after} A subscription "
            "nobody listens to any more keeps the library calling your callback, for ever.",
            UNSUBSCRIBE,
            call.schedule(),
        )
    callbacks_fine(call, channel, ONCE)


# --- pool_results -----------------------------------------------------------------------

JOBS = [
    "thumbnails",
    "report",
    "backup",
    "index",
]  # not sorted, and later ones finish first
DELAYS = {"thumbnails": 0.4, "report": 0.1, "backup": 0.3, "index": 0.2}
MANY = {
    f"page-{n}": (n * 5 % 12 + 1) / 10 for n in (7, 2, 11, 4, 9, 1, 12, 6, 3, 10, 5, 8)
}


def run_pool(learner, pool: Pool, jobs: list[Any]):
    """Run pool_results; a blocking wait on a job's future is reported as such, whatever
    else the harness saw (blockbuster flags the lock a blocking concurrent.futures wait takes)."""
    text = describe_call("pool_results", (pool, jobs))

    async def scenario(function):
        pool.loop = (
            asyncio.get_running_loop()
        )  # submit may be called from a thread without our context
        return await function(pool, jobs)

    try:
        call = learner.run_scenario("pool_results", scenario, text=text, probes=(pool,))
    except CheckFailed as failure:
        pool.release()
        blocked_on_result(text, learner, pool)
        if "blocking call, lock.acquire" in failure.message:
            raise CheckFailed(
                failure.message
                + " Waiting on a concurrent.futures.Future (result(), exception(), "
                "concurrent.futures.wait) blocks the thread, and that thread runs the event loop.",
                WRAP,
                failure.detail,
            ) from None
        raise
    pool.release()
    blocked_on_result(text, learner, pool)
    error = call.run.error
    if isinstance(error, TypeError) and (
        "can't be used in 'await' expression" in str(error)
        or "awaitable is required" in str(error)
    ):
        raise CheckFailed(
            f"Called {call.text}. It raised {error_text(error)} at {call.where(error)}: a concurrent.futures.Future "
            "is not an asyncio awaitable; await and asyncio.gather do not take it as it is.",
            WRAP,
        )
    return call


def blocked_on_result(text: str, learner, pool: Pool) -> None:
    if not pool.blocked:
        return
    first = pool.blocked[0]
    inside = [f for f in first.stack if f.filename in learner.files]
    line = (
        f"{Path(inside[-1].filename).name}:{inside[-1].lineno} (`{(inside[-1].line or '').strip()}`)"
        if inside
        else learner.exercise.filename
    )
    others = len({b.job for b in pool.blocked}) - 1
    more = f" It did the same for {others} more job(s)." if others > 0 else ""
    raise CheckFailed(
        f"Called {text}. At {secs(first.at)} it called .{first.method}() on the concurrent.futures.Future of "
        f"job {first.job!r} while that job was still running, at {line}. That call waits by blocking the "
        f"thread, and that thread runs the event loop: every coroutine would freeze until the job "
        f"ended ({secs(DELAYS.get(first.job, 1.0))} here).{more}",
        WRAP,
    )


def returned_futures(call, got: Any) -> None:
    if isinstance(got, list) and any(
        isinstance(g, (concurrent.futures.Future, asyncio.Future)) for g in got
    ):
        raise CheckFailed(
            f"Called {call.text}. It returned future objects instead of the jobs' results.",
            WRAP,
        )


def judge_pool(call, pool: Pool, jobs: list[Any], *, any_order: bool = False) -> None:
    """``any_order``: for a check of something else, where a few results read from a set come out
    in order by chance (the order is judged by runs_jobs_together, with 12 jobs)."""
    expected = [pool.expected(job) for job in jobs]
    got = call.result()
    if not expect.same_items(pool.calls, jobs):
        raise CheckFailed(
            f"Called {call.text}. It submitted {short(pool.calls)}; expected each job submitted once: {short(jobs)}."
        )
    returned_futures(call, got)
    in_order = expect.same(got, expected) or (any_order and type(got) is list and expect.same_items(got, expected))
    if not in_order:
        order = [
            pool.expected(j.job) for j in sorted(pool.jobs, key=lambda j: j.end or 0.0)
        ]
        hint = (
            " They are in the order the jobs finished, not in the order of jobs."
            if expect.same(got, order)
            else " They are the right results in another order (a set, such as the done set of "
            "asyncio.wait, has no order)."
            if isinstance(got, list)
            and sorted(map(repr, got)) == sorted(map(repr, expected))
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected the results in the order of jobs: "
            f"{short(expected)}.{hint}",
            WRAP,
        )
    if not jobs:
        return
    slowest = max(pool.delays[j] for j in jobs)
    took = call.loop_time
    if abs(took - slowest) <= EXACT:
        return
    picture = call.schedule(
        [Span(repr(j), 0.0, pool.delays[j]) for j in jobs],
        expected_title=f"Expected: all jobs at once, {secs(slowest)}",
    )
    ends = [j.end for j in pool.jobs if j.end is not None]
    starts = [j.at for j in pool.jobs]
    if max(starts) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It submitted each job only after the one before had finished, so the "
            f"{len(jobs)} jobs took {secs(took)} of loop time; the pool runs them together in {secs(slowest)}, "
            "the time of the slowest.",
            "Submit every job first (`futures = [submit(job) for job in jobs]`), then wait for all of them.",
            picture,
        )
    if ends and took > max(ends) + EXACT:
        raise CheckFailed(
            f"Called {call.text}. The jobs had all finished by {secs(max(ends))}, but it returned only at "
            f"{secs(took)}: it waited longer than the jobs took (polling, or sleeping a fixed time).",
            WRAP,
            picture,
        )
    raise CheckFailed(
        f"Called {call.text}. It took {secs(took)} of loop time; expected {secs(slowest)}.",
        WRAP,
        picture,
    )


@pytest.mark.points(2)
def test_pool_results_never_blocks_the_loop(learner):
    """pool_results waits for the pool's futures without blocking the event loop"""
    jobs = ["thumbnails", "report", "backup"]
    pool = Pool(DELAYS)
    call = run_pool(learner, pool, jobs)
    judge_pool(call, pool, jobs, any_order=True)


@pytest.mark.points(1)
def test_pool_results_runs_jobs_together(learner):
    """pool_results runs 4 jobs at the same time and returns their results in the order of jobs"""
    # 12 jobs first: results in an order of their own (a set's) cannot match the order of jobs or
    # the order they finished by chance, as 4 can, so the message names the right mistake.
    many = Pool(MANY)
    judge_pool(run_pool(learner, many, list(MANY)), many, list(MANY))
    pool = Pool(DELAYS)
    call = run_pool(learner, pool, JOBS)
    judge_pool(call, pool, JOBS)
    nothing = Pool(DELAYS)
    empty = run_pool(learner, nothing, [])
    judge_pool(empty, nothing, [])


@pytest.mark.points(1)
@pytest.mark.parametrize(
    "failing", ["report", "thumbnails"], ids=["fails-first", "fails-last"]
)
def test_pool_results_raises_a_failed_job(learner, failing):
    """pool_results raises the exception of a failed job"""
    error = OSError(f"no space left on device while writing {failing}")
    pool = Pool(DELAYS, errors={failing: error})
    call = run_pool(learner, pool, JOBS)
    if call.run.error is None:
        returned_futures(call, call.run.value)
    if (
        call.run.error is None
        and isinstance(call.run.value, list)
        and any(v is error for v in call.run.value)
    ):
        raise CheckFailed(
            f"Called {call.text}, where job {failing!r} fails. It returned its exception in the list instead of "
            "raising it.",
            "Let it out: asyncio.gather (without return_exceptions) raises the first failure.",
        )
    expect.raised(
        call,
        error,
        failing,
        advice="Don't catch it: awaiting asyncio.wrap_future(future) raises the job's exception, and "
        "asyncio.gather passes it on.",
    )
