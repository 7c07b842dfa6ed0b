"""Hidden checks of exercise 06: fetch_or_default, fetch_with_retries, fetch_steps.

Every verdict comes from loop time (virtual, so a 30 s timeout is exact and instant) and
from what the fakes handed to the learner recorded: when each call started, and whether
it answered, failed or was cancelled. Each run also notes which tasks were still pending
at the moment the learner's function returned, and whether it had asked them to stop.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from grader import expect
from grader.failure import CheckFailed
from grader.learner import error_text, short
from grader.probes import Probe
from grader.timeline import Span, render

pytestmark = pytest.mark.judged_apart  # the learner's code runs in a process of its own (grader.remote)

EXACT = expect.EXACT
same = expect.same

WAIT_FOR = (
    "Wait with a time limit: `return await asyncio.wait_for(fetch(item), seconds)` inside "
    "`try: ... except TimeoutError: return default` (or `async with asyncio.timeout(seconds):`). "
    "When time is up it cancels the fetch and raises TimeoutError."
)
CANCEL = (
    "asyncio.wait_for and asyncio.timeout cancel the operation for you when time is up. If you "
    "use asyncio.wait(..., timeout=...) or asyncio.shield, cancel what is still pending yourself "
    "(`task.cancel()`, then await it)."
)
ATTEMPT = (
    "Limit each attempt: `async with asyncio.timeout(timeout): return await fetch(item)` (or "
    "`await asyncio.wait_for(fetch(item), timeout)`)."
)
RETRY = (
    "A failed attempt is not the end: catch TimeoutError and ConnectionError, pause, and go round "
    "the loop again."
)
DEADLINE = (
    "Put the whole retry loop, attempts and pauses, inside one `async with asyncio.timeout(deadline):`. "
    "It interrupts whatever is running when the deadline comes, an attempt or an asyncio.sleep, and "
    "raises TimeoutError. Checking the clock between attempts notices the deadline too late."
)
STEPS_DEADLINE = (
    "One deadline covers all the steps together: put the whole for loop inside a single "
    "`async with asyncio.timeout(deadline):`, and catch the TimeoutError around it. A wait_for per "
    "step gives every step the whole deadline again; checking the clock between steps notices "
    "it too late."
)
RETRY_HANG = (
    "a retry loop that never looks at the deadline (wrap the whole loop in `async with asyncio.timeout(deadline):`)",
    "a deadline measured with time.time() or time.monotonic(): only the event loop's clock moves here "
    "(asyncio.timeout and loop.time() use it)",
    "a missing await",
)


def page(item: Any) -> str:
    return f"<{item} page>"


# --- running the learner's function, noting what it left pending ------------------------


@dataclass(frozen=True)
class Pending:
    """A task still pending when the learner's function returned."""

    name: str
    cancelling: bool  # it had been asked to stop (task.cancel()), just not finished yet


def run(
    learner,
    name: str,
    *args: Any,
    probes: tuple,
    stop_at: float | None = None,
    hang_causes: tuple = (),
    **numbers: Any,
):
    """Call ``name(*args, **numbers)`` on the harness loop. Return the Call, the tasks it left
    pending (each with whether it had been asked to stop), and whether it was still running
    at ``stop_at`` s of loop time (then it was stopped there, and returned None)."""
    shown = [getattr(a, "name", "fetch") if callable(a) else short(a) for a in args]
    shown += [f"{key}={short(value)}" for key, value in numbers.items()]
    text = f"{name}({', '.join(shown)})"
    pending: list[Pending] = []
    stopped: list[float] = []

    async def scenario(function):
        before = asyncio.all_tasks()  # the harness's own tasks, and this one
        try:
            if stop_at is None:
                return await function(*args, **numbers)
            try:
                async with asyncio.timeout(stop_at) as limit:
                    return await function(*args, **numbers)
            except TimeoutError:
                if not limit.expired():
                    raise
                stopped.append(asyncio.get_running_loop().time())
                return None
        finally:
            for task in asyncio.all_tasks() - before:
                if not task.done():
                    coroutine = task.get_coro()
                    label = getattr(coroutine, "__qualname__", None) or task.get_name()
                    pending.append(Pending(label, task.cancelling() > 0))

    call = learner.run_scenario(
        name,
        scenario,
        text=text,
        probes=probes,
        limit=(stop_at or 100.0) + 20.0,
        hang_causes=hang_causes,
    )
    return call, pending, bool(stopped)


def nothing_left_running(call, pending: list[Pending], what: str) -> None:
    """No task the learner started was still running (and not asked to stop) when it returned."""
    running = [p.name for p in pending if not p.cancelling]
    if running:
        raise CheckFailed(
            f"Called {call.text}. When it finished, at {call.loop_time:g} s, {len(running)} task(s) it started "
            f"were still running ({', '.join(running)}): {what}",
            CANCEL,
        )


def seconds(value: float) -> str:
    return f"{value:g} s"


# --- fetch_or_default -------------------------------------------------------------------

ITEM = "weather"
DEFAULT = "(cached forecast)"


def run_default(learner, delay: float, limit: float, errors=None):
    fetch = Probe("fetch", delay=delay, result=page, errors=errors)
    call, pending, _ = run(
        learner,
        "fetch_or_default",
        fetch,
        ITEM,
        seconds=limit,
        default=DEFAULT,
        probes=(fetch,),
    )
    return call, fetch, pending


def fetch_awaited_once(call, fetch: Probe) -> None:
    if fetch.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called fetch({ITEM!r}) but never awaited the coroutine, so the fetch never ran.",
            WAIT_FOR,
        )
    if not expect.same(fetch.calls, [ITEM]):
        raise CheckFailed(
            f"Called {call.text}. It called fetch {len(fetch.calls)} time(s), with {short(fetch.calls)}; "
            f"expected one call, fetch({ITEM!r})."
        )


def gave_up_in_time(call, fetch: Probe, limit: float, delay: float) -> None:
    """fetch_or_default stopped waiting exactly when ``limit`` seconds were up."""
    error, took = call.run.error, call.loop_time
    picture = call.schedule(
        [Span(repr(ITEM), 0.0, limit, "cancel")],
        expected_title=f"Expected: given up (cancelled) at {limit:g} s",
    )
    if isinstance(error, TimeoutError) and abs(took - limit) <= EXACT:
        raise CheckFailed(
            f"Called {call.text}, with a fetch that takes {delay:g} s. It raised {error_text(error)} at {took:g} s: "
            f"the time limit worked, but nothing caught the TimeoutError. Expected it to return the default, "
            f"{DEFAULT!r}.",
            "Catch it around the wait: `try: return await asyncio.wait_for(...)` / "
            "`except TimeoutError: return default`.",
        )
    if error is not None and not isinstance(error, TimeoutError):
        call.result()
    fetch_awaited_once(call, fetch)
    if took >= delay - EXACT:
        raise CheckFailed(
            f"Called {call.text}, with a fetch that takes {delay:g} s. It waited for the whole fetch and "
            f"{'returned' if error is None else 'raised'} at {took:g} s: nothing limited the wait. Expected it "
            f"to give up after {limit:g} s and return the default.",
            WAIT_FOR,
            picture,
        )
    if took > limit + EXACT:
        raise CheckFailed(
            f"Called {call.text}, with a fetch that takes {delay:g} s. It gave up at {took:g} s, "
            f"{took - limit:g} s late: expected exactly when the {limit:g} s were up. A loop that sleeps and "
            "then looks at the clock notices the time limit late.",
            WAIT_FOR,
            picture,
        )
    if took < limit - EXACT:
        raise CheckFailed(
            f"Called {call.text}, with a fetch that takes {delay:g} s. It gave up at {took:g} s, before the "
            f"{limit:g} s were up: the fetch gets all of its {limit:g} s.",
            WAIT_FOR,
            picture,
        )


@pytest.mark.points(1)
def test_default_returns_a_quick_answer(learner):
    """fetch_or_default returns the fetch's result as soon as it answers in time"""
    call, fetch, pending = run_default(learner, delay=1.25, limit=5.0)
    value = call.result()
    fetch_awaited_once(call, fetch)
    if same(value, DEFAULT):
        raise CheckFailed(
            f"Called {call.text}, with a fetch that answers after 1.25 s. It returned the default {DEFAULT!r} "
            f"at {call.loop_time:g} s, although the fetch answered well within the 5 s allowed. The default is "
            "only for a fetch that takes too long.",
            WAIT_FOR,
        )
    if not same(value, page(ITEM)):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(value)}; expected what the fetch returned, {page(ITEM)!r}."
        )
    if call.loop_time > 1.25 + EXACT:
        raise CheckFailed(
            f"Called {call.text}. The fetch answered at 1.25 s, but fetch_or_default returned only at "
            f"{call.loop_time:g} s. Return as soon as the fetch answers: a loop that sleeps and then checks "
            "(or a wait of the whole 5 s) always answers late.",
            WAIT_FOR,
        )
    nothing_left_running(
        call,
        pending,
        "what it started to keep time was never cancelled once the fetch had answered.",
    )


@pytest.mark.points(2)
def test_default_gives_up_at_the_timeout(learner):
    """fetch_or_default gives up on a 30 s fetch after 2 s and returns the default"""
    call, fetch, _ = run_default(learner, delay=30.0, limit=2.0)
    gave_up_in_time(call, fetch, 2.0, 30.0)
    value = call.run.value
    if same(value, DEFAULT):
        return
    if value is None:
        what = "It returned None: the TimeoutError was caught, but the default was not returned."
    elif isinstance(value, BaseException):
        what = f"It returned the exception object {error_text(value)} instead of the default."
    else:
        what = f"It returned {short(value)}."
    raise CheckFailed(
        f"Called {call.text}, with a fetch that takes 30 s. It gave up at 2 s, right on time. {what} "
        f"Expected the default it was given, {DEFAULT!r}.",
        "Return the `default` parameter when time is up: `except TimeoutError: return default`.",
    )


@pytest.mark.points(1)
def test_default_stops_the_slow_fetch(learner):
    """fetch_or_default cancels the fetch it gave up on: nothing is left running"""
    call, fetch, pending = run_default(learner, delay=45.0, limit=3.5)
    gave_up_in_time(call, fetch, 3.5, 45.0)
    nothing_left_running(
        call,
        pending,
        "the fetch it gave up on was never cancelled, so it would have gone on for another 41.5 s, for nobody, "
        "holding its connection all the while.",
    )


@pytest.mark.points(1)
def test_default_lets_other_errors_out(learner):
    """fetch_or_default raises the fetch's own error: only a timeout gives the default"""
    error = ConnectionError("the weather service refused the connection")
    call, _, _ = run_default(learner, delay=1.0, limit=5.0, errors={ITEM: error})
    expect.raised(
        call,
        error,
        ITEM,
        advice="Catch only the timeout: `except TimeoutError: return default`. A ConnectionError is not a "
        "timeout, and the caller must hear of it.",
    )


# --- fetch_with_retries -----------------------------------------------------------------

STATUS = "status"
SLOW = (60.0, "ok")  # answers only after 60 s: an attempt the timeout must cut off


def fails_after(s: float) -> tuple[float, str]:
    return (s, "error")


def answers_after(s: float) -> tuple[float, str]:
    return (s, "ok")


@dataclass
class Attempt:
    number: int  # 1-based, in the order the attempts started
    item: Any
    start: float
    end: float | None = None
    outcome: str = "running"  # "finish", "fail", "cancel" or "running"


class Flaky:
    """The ``fetch(item)`` handed to fetch_with_retries. Call n follows ``script[n]`` (the
    last entry repeats): ``(seconds, "ok")`` answers after that much loop time,
    ``(seconds, "error")`` raises ConnectionError after it. Records every attempt."""

    name = "fetch"

    def __init__(self, *script: tuple[float, str]) -> None:
        self.script = script
        self.attempts: list[Attempt] = []
        self._made: list[Any] = []

    def entry(self, n: int) -> tuple[float, str]:
        return self.script[min(n, len(self.script) - 1)]

    def __call__(self, item: Any):
        coroutine = self._run(item, len(self._made))
        coroutine.__qualname__ = f"fetch({item!r})"
        self._made.append(coroutine)
        return coroutine

    async def _run(self, item: Any, n: int) -> str:
        loop = asyncio.get_running_loop()
        seconds_, outcome = self.entry(n)
        attempt = Attempt(len(self.attempts) + 1, item, loop.time())
        self.attempts.append(attempt)
        try:
            await asyncio.sleep(seconds_)
        except asyncio.CancelledError:
            attempt.end, attempt.outcome = loop.time(), "cancel"
            raise
        attempt.end = loop.time()
        if outcome == "error":
            attempt.outcome = "fail"
            raise ConnectionError(
                f"connection reset by peer (attempt {attempt.number})"
            )
        attempt.outcome = "finish"
        return page(item)

    def never_awaited(self) -> int:
        for coroutine in self._made:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self._made) - len(self.attempts)

    def spans(self) -> list[Span]:
        return [
            Span(f"try {a.number}", a.start, a.end, a.outcome) for a in self.attempts
        ]


@dataclass(frozen=True)
class Planned:
    start: float
    end: float
    outcome: str  # "finish", "fail", "cancel"
    cut_by: str = ""  # for "cancel": "timeout" or "deadline"


def plan_retries(fetch: Flaky, timeout: float, backoff: float, deadline: float):
    """What a correct fetch_with_retries does with this script: the attempts, and how it ends
    (("return", at) or ("timeout", deadline)). The checks' numbers never make two events tie."""
    attempts: list[Planned] = []
    t, pause, n = 0.0, backoff, 0
    while True:
        took, outcome = fetch.entry(n)
        limit = min(t + timeout, deadline)
        if t + took < limit:
            t += took
            attempts.append(
                Planned(t - took, t, "finish" if outcome == "ok" else "fail")
            )
            if outcome == "ok":
                return attempts, ("return", t)
        else:
            attempts.append(
                Planned(
                    t, limit, "cancel", "deadline" if limit == deadline else "timeout"
                )
            )
            if limit == deadline:
                return attempts, ("timeout", deadline)
            t = limit
        if t + pause >= deadline:
            return attempts, ("timeout", deadline)
        t, pause, n = t + pause, pause * 2, n + 1


def ended(attempt: Attempt | Planned) -> str:
    return {"finish": "answered", "fail": "failed", "cancel": "was cut off"}.get(
        attempt.outcome, "was still running"
    )


def outcome_text(call) -> str:
    error = call.run.error
    return (
        f"raised {error_text(error)}"
        if error is not None
        else f"returned {short(call.run.value)}"
    )


def finished(call) -> str:
    """ "returned", or "raised TimeoutError": how the learner's function ended, in a few words."""
    error = call.run.error
    return "returned" if error is None else f"raised {type(error).__name__}"


def judge_retries(
    call,
    fetch: Flaky,
    pending: list[Pending],
    stopped: bool,
    timeout: float,
    backoff: float,
    deadline: float,
) -> None:
    planned, (ending, at) = plan_retries(fetch, timeout, backoff, deadline)
    pauses = ", ".join(seconds(backoff * 2**k) for k in range(3))
    picture = render(
        fetch.spans(),
        [
            Span(f"try {k}", p.start, p.end, p.outcome)
            for k, p in enumerate(planned, start=1)
        ],
        expected_title=f"Expected (each try at most {timeout:g} s, pauses {pauses}, …, deadline {deadline:g} s)",
    )
    error, took, tried = call.run.error, call.loop_time, fetch.attempts
    if stopped:
        last = f", the last one from {tried[-1].start:g} s" if tried else ""
        where = ", where no attempt ever answers" if ending == "timeout" else ""
        raise CheckFailed(
            f"Called {call.text}{where}. It was still running at {took:g} s of loop time, "
            f"{took - deadline:g} s after the {deadline:g} s deadline ({len(tried)} attempts so far{last}), so the "
            "check stopped it there: nothing in it ends the retries when the deadline comes.",
            DEADLINE,
            picture,
        )
    if error is not None and not isinstance(error, (TimeoutError, ConnectionError)):
        call.result()
    if fetch.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called fetch({STATUS!r}) but never awaited the coroutine, so that attempt "
            "never ran.",
            ATTEMPT,
        )
    if not tried:
        raise CheckFailed(
            f"Called {call.text}. It {outcome_text(call)} without calling fetch({STATUS!r}) at all."
        )
    wrong = [a for a in tried if not same(a.item, STATUS)]
    if wrong:
        raise CheckFailed(
            f"Called {call.text}. It called fetch({wrong[0].item!r}); every attempt is fetch({STATUS!r})."
        )
    for before, after in itertools.pairwise(tried):
        if before.end is None or before.end > after.start + EXACT:
            raise CheckFailed(
                f"Called {call.text}. Attempt {before.number} (started at {before.start:g} s) was still running "
                f"when attempt {after.number} started at {after.start:g} s: the attempt that timed out was never "
                "cancelled, so the attempts piled up.",
                CANCEL,
                picture,
            )
    for k, (got, want) in enumerate(zip(tried, planned)):
        number = k + 1
        if abs(got.start - want.start) > EXACT:
            if k == 0:
                raise CheckFailed(
                    f"Called {call.text}. The first attempt started at {got.start:g} s; expected it at once, at 0 s.",
                    None,
                    picture,
                )
            previous = tried[k - 1]
            waited, wanted = got.start - previous.end, want.start - planned[k - 1].end
            how = "tried again at once" if waited <= EXACT else f"paused {waited:g} s"
            raise CheckFailed(
                f"Called {call.text}. Attempt {number - 1} {ended(previous)} at {previous.end:g} s; then it {how} "
                f"before attempt {number}. Expected a pause of {wanted:g} s: after the first failure pause "
                f"`backoff` ({backoff:g} s), then twice as long each time ({pauses}, …).",
                "Keep the pause in a variable: `await asyncio.sleep(pause)`, then `pause *= 2`.",
                picture,
            )
        if (
            got.end is not None
            and abs(got.end - want.end) <= EXACT
            and got.outcome == want.outcome
        ):
            continue
        if got.end is None:
            raise CheckFailed(
                f"Called {call.text}. Attempt {number} (started at {got.start:g} s) never ended, not even when "
                "fetch_with_retries was over: it was left running.",
                CANCEL,
                picture,
            )
        span = f"Attempt {number} started at {got.start:g} s and {ended(got)} at {got.end:g} s"
        if got.end is not None and got.end > want.end + EXACT:
            if want.cut_by == "timeout":
                raise CheckFailed(
                    f"Called {call.text}. {span}: it was not cut off when its {timeout:g} s were up, at "
                    f"{want.end:g} s. Each attempt may take at most `timeout` seconds.",
                    ATTEMPT,
                    picture,
                )
            raise CheckFailed(
                f"Called {call.text}. {span}, past the {deadline:g} s deadline. When the deadline comes, stop at "
                "once, even in the middle of an attempt, and raise TimeoutError.",
                DEADLINE,
                picture,
            )
        raise CheckFailed(
            f"Called {call.text}. {span}, after {got.end - got.start:g} s; expected it to "
            f"{'run until' if want.outcome != 'cancel' else 'be cut off at'} {want.end:g} s "
            f"(each attempt may take {timeout:g} s, all of them together {deadline:g} s).",
            ATTEMPT,
            picture,
        )
    if len(tried) < len(planned):
        last, next_pause = (
            tried[-1],
            planned[len(tried)].start - planned[len(tried) - 1].end,
        )
        raise CheckFailed(
            f"Called {call.text}. It made {len(tried)} attempt(s): attempt {last.number} {ended(last)} at "
            f"{last.end:g} s, and then, at {took:g} s, it {outcome_text(call)}. Expected a pause of "
            f"{next_pause:g} s and another attempt: keep trying until one answers or the deadline "
            f"({deadline:g} s) comes.",
            RETRY,
            picture,
        )
    if len(tried) > len(planned):
        extra = tried[len(planned)]
        if ending == "return":
            text = (
                f"Attempt {len(planned)} answered at {at:g} s, but it went on to make attempt {extra.number} at "
                f"{extra.start:g} s: return the first answer."
            )
            advice = "`return await ...` inside the loop ends the retries as soon as an attempt answers."
        else:
            text = f"It started attempt {extra.number} at {extra.start:g} s, after the {deadline:g} s deadline."
            advice = DEADLINE
        raise CheckFailed(f"Called {call.text}. {text}", advice, picture)
    if ending == "return":
        if error is not None:
            call.result()
        if not same(call.run.value, page(STATUS)):
            raise CheckFailed(
                f"Called {call.text}. Attempt {len(tried)} answered {page(STATUS)!r} at {at:g} s, but "
                f"fetch_with_retries returned {short(call.run.value)}: return what the attempt returned."
            )
        if abs(took - at) > EXACT:
            raise CheckFailed(
                f"Called {call.text}. Attempt {len(tried)} answered at {at:g} s, but fetch_with_retries returned "
                f"only at {took:g} s: return as soon as an attempt answers.",
                None,
                picture,
            )
    else:
        if took > at + EXACT:
            raise CheckFailed(
                f"Called {call.text}, where no attempt ever answers. Its last attempt {ended(tried[-1])} at "
                f"{tried[-1].end:g} s; then it kept going (pausing) until {took:g} s, {took - at:g} s after the "
                f"{deadline:g} s deadline, and {outcome_text(call)}. The deadline interrupts a pause too.",
                DEADLINE,
                picture,
            )
        if took < at - EXACT:
            raise CheckFailed(
                f"Called {call.text}, where no attempt ever answers. At {took:g} s, before the {deadline:g} s "
                f"deadline, it {outcome_text(call)}. Expected it to keep pausing and trying until the deadline "
                "comes, and to give up exactly then.",
                "Let the deadline itself stop you: with one `async with asyncio.timeout(deadline):` around the "
                "loop, the pause that runs into the deadline is simply cut short there.",
                picture,
            )
        if not isinstance(error, TimeoutError):
            raise CheckFailed(
                f"Called {call.text}, where no attempt ever answers. It stopped at the {deadline:g} s deadline, "
                f"right on time, but {outcome_text(call)}; expected it to raise TimeoutError, so the caller knows "
                "it gave up.",
                "`async with asyncio.timeout(deadline):` raises TimeoutError for you; with your own clock "
                "arithmetic, `raise TimeoutError(...)` when time is up.",
            )
    nothing_left_running(
        call, pending, "an attempt it no longer waited for was never cancelled."
    )


def check_retries(
    learner, fetch: Flaky, timeout: float, backoff: float, deadline: float
) -> None:
    call, pending, stopped = run(
        learner,
        "fetch_with_retries",
        fetch,
        STATUS,
        timeout=timeout,
        backoff=backoff,
        deadline=deadline,
        probes=(fetch,),
        stop_at=100.0,
        hang_causes=RETRY_HANG,
    )
    judge_retries(call, fetch, pending, stopped, timeout, backoff, deadline)


@pytest.mark.points(1)
def test_retries_return_the_first_answer(learner):
    """fetch_with_retries returns at once when the first attempt answers in time"""
    check_retries(
        learner, Flaky(answers_after(1.5)), timeout=3.0, backoff=1.0, deadline=20.0
    )


@pytest.mark.points(2)
def test_retries_recover_after_failures(learner):
    """fetch_with_retries cuts off slow attempts, backs off 1 s, 2 s, 4 s and returns the answer"""
    # try 1 0–2 cut off, pause 1, try 2 3–3.5 fails, pause 2, try 3 5.5–7.5 cut off, pause 4,
    # try 4 answers at 12.5
    fetch = Flaky(SLOW, fails_after(0.5), SLOW, answers_after(1.0))
    check_retries(learner, fetch, timeout=2.0, backoff=1.0, deadline=30.0)


@pytest.mark.points(1)
def test_retries_let_other_errors_out(learner):
    """fetch_with_retries retries only timeouts and ConnectionError: any other error comes out at once"""
    error = ValueError("the status page is not valid JSON")
    fetch = Probe("fetch", delay=0.5, result=page, errors={STATUS: error})
    call, pending, stopped = run(
        learner, "fetch_with_retries", fetch, STATUS,
        timeout=2.0, backoff=1.0, deadline=30.0,
        probes=(fetch,), stop_at=100.0, hang_causes=RETRY_HANG,
    )  # fmt: skip
    if len(fetch.calls) > 1 or stopped:
        ended = (
            "was still going at 100 s"
            if stopped
            else f"at {call.loop_time:g} s {outcome_text(call)}"
        )
        raise CheckFailed(
            f"Called {call.text}, where fetch raises {error_text(error)} after 0.5 s: a bug in the answer, not "
            f"a network failure. It tried again ({len(fetch.calls)} attempts in all) and {ended}; expected the "
            "ValueError itself, raised at 0.5 s, after the first attempt.",
            "Catch only what is worth retrying, `except (TimeoutError, ConnectionError):`. `except Exception` "
            "retries a bug too, and hides it behind a TimeoutError at the deadline.",
        )
    expect.raised(
        call,
        error,
        STATUS,
        advice="Catch only TimeoutError and ConnectionError around an attempt; let any other error out.",
    )
    nothing_left_running(call, pending, "tasks it started were never awaited.")


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "deadline", [9.0, 12.0], ids=["during-an-attempt", "during-a-pause"]
)
def test_retries_stop_at_the_deadline(learner, deadline):
    """fetch_with_retries raises TimeoutError exactly at the deadline, whatever it is doing"""
    # try 1 0–3 cut off, pause 1, try 2 4–5 fails, pause 2, try 3 7–10 cut off, pause 4 (10–14), ...
    fetch = Flaky(SLOW, fails_after(1.0), SLOW, fails_after(1.0), SLOW)
    check_retries(learner, fetch, timeout=3.0, backoff=1.0, deadline=deadline)


# --- fetch_steps ------------------------------------------------------------------------

STEPS = ["login", "profile", "inbox", "avatar"]
STEP_DELAYS = {"login": 2.0, "profile": 3.0, "inbox": 4.0, "avatar": 1.0}


def plan_steps(deadline: float) -> tuple[list[Span], float]:
    """The schedule of a correct fetch_steps, and when it returns."""
    spans, t = [], 0.0
    for step in STEPS:
        end = t + STEP_DELAYS[step]
        if end >= deadline:
            spans.append(Span(repr(step), t, deadline, "cancel"))
            return spans, deadline
        spans.append(Span(repr(step), t, end, "finish"))
        t = end
    return spans, t


def schedule_text(fetch: Probe) -> str:
    return ", ".join(
        f"{s.label.strip(chr(39))} {s.start:g}–{s.end:g} s"
        if s.end is not None
        else f"{s.label} from {s.start:g} s"
        for s in fetch.spans()
    )


def judge_steps(call, fetch: Probe, pending: list[Pending], deadline: float) -> None:
    expected_spans, at = plan_steps(deadline)
    arrived = [
        page(s.label.strip("'")) for s in expected_spans if s.outcome == "finish"
    ]
    cut = next((s.label for s in expected_spans if s.outcome == "cancel"), None)
    picture = call.schedule(
        expected_spans, expected_title=f"Expected (deadline {deadline:g} s)"
    )
    error, took = call.run.error, call.loop_time
    if (
        isinstance(error, TimeoutError)
        and cut is not None
        and abs(took - deadline) <= EXACT
    ):
        raise CheckFailed(
            f"Called {call.text}. It raised {error_text(error)} at the {deadline:g} s deadline; expected it to "
            f"return the results that arrived in time, {short(arrived)}.",
            "Catch the TimeoutError outside the loop (`try: async with asyncio.timeout(deadline): ...` / "
            "`except TimeoutError: pass`) and return the list you filled so far.",
        )
    if error is not None and not isinstance(error, TimeoutError):
        call.result()
    unawaited = fetch.never_awaited()
    if unawaited:
        raise CheckFailed(
            f"Called {call.text}. {unawaited} fetch(...) call(s) were made but never awaited, so those steps never "
            "ran: call fetch(step) only when you await it, one step at a time."
        )
    if fetch.peak > 1:
        raise CheckFailed(
            f"Called {call.text}. It ran {fetch.peak} steps at the same time ({schedule_text(fetch)}); expected "
            "them one after another, each starting when the one before has answered (a step needs the one "
            "before it: no profile before the login).",
            "Await each fetch in turn in a for loop, and put the deadline around the loop.",
            picture,
        )
    started = fetch.started
    if not same(started, STEPS[: len(started)]):
        raise CheckFailed(
            f"Called {call.text}. It fetched the steps in the order {short(started)}; expected {short(STEPS)}."
        )
    due = [s.label.strip("'") for s in expected_spans]
    if len(started) < len(due):
        missing = ", ".join(due[len(started) :])
        raise CheckFailed(
            f"Called {call.text}. At {took:g} s it {outcome_text(call)}, having fetched "
            f"{', '.join(started) if started else 'no step at all'}: {missing} never started, though there was "
            f"time for {'it' if len(due) - len(started) == 1 else 'them'} before the {deadline:g} s deadline.",
            "Fetch every step in turn (`for step in steps: results.append(await fetch(step))`) until the "
            "deadline stops you.",
            picture,
        )
    if took > at + EXACT:
        late = [
            s for s in fetch.spans() if s.end is not None and s.end > deadline + EXACT
        ]
        if cut is not None and late:
            first = late[0]
            text = (
                f"It {finished(call)} at {took:g} s, {took - deadline:g} s after the {deadline:g} s deadline: the "
                f"steps ran {schedule_text(fetch)}, so {first.label.strip(chr(39))} (started at {first.start:g} s) "
                "went on past the deadline. When the deadline comes, stop the step in progress and start no more."
            )
        elif cut is not None:
            text = (
                f"The deadline stopped {cut.strip(chr(39))} at {deadline:g} s, but it {finished(call)} only at "
                f"{took:g} s. Return as soon as the deadline comes."
            )
        else:
            text = f"All the steps had answered by {at:g} s, but it {finished(call)} only at {took:g} s."
        raise CheckFailed(f"Called {call.text}. {text}", STEPS_DEADLINE, picture)
    if took < at - EXACT:
        when = (
            f"the deadline, {at:g} s (the steps get all of the time allowed)"
            if cut
            else (f"{at:g} s, when the last step has answered")
        )
        raise CheckFailed(
            f"Called {call.text}. It {finished(call)} at {took:g} s; expected {when}.",
            None,
            picture,
        )
    value = call.result()
    if not same(value, arrived):
        if cut is not None and same(value, []) and arrived:
            what = (
                f"It returned [] at the {deadline:g} s deadline: the results that had arrived in time, "
                f"{short(arrived)}, were lost."
            )
            advice = (
                "Append each result to a list that lives outside the `async with asyncio.timeout(...)` block, "
                "and return that list after catching TimeoutError."
            )
        else:
            what = (
                f"It returned {short(value)}; expected the results of the steps that answered in time, in order: "
                f"{short(arrived)}."
            )
            advice = None
        raise CheckFailed(f"Called {call.text}. {what}", advice)
    left = (
        f"the step in progress at the deadline, {cut.strip(chr(39))}, was never cancelled."
        if cut
        else ""
    )
    nothing_left_running(call, pending, left or "tasks it started were never awaited.")


def run_steps(learner, deadline: float):
    fetch = Probe("fetch", delay=STEP_DELAYS.__getitem__, result=page)
    call, pending, _ = run(
        learner, "fetch_steps", fetch, STEPS, deadline=deadline, probes=(fetch,)
    )
    return call, fetch, pending


@pytest.mark.points(1)
def test_steps_run_one_after_another(learner):
    """fetch_steps fetches the steps in order, one after another, and returns all their results"""
    call, fetch, pending = run_steps(learner, deadline=20.0)
    judge_steps(call, fetch, pending, deadline=20.0)
    empty = Probe("fetch")
    none, _, _ = run(learner, "fetch_steps", empty, [], deadline=5.0, probes=(empty,))
    if not same(none.result(), []):
        raise CheckFailed(
            f"Called {none.text}. It returned {short(none.result())}; expected []."
        )


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "deadline", [7.0, 1.5], ids=["in-the-third-step", "in-the-first-step"]
)
def test_steps_stop_at_the_deadline(learner, deadline):
    """fetch_steps stops at the deadline and returns the results that arrived in time"""
    # login 0–2, profile 2–5, inbox 5–9, avatar 9–10
    call, fetch, pending = run_steps(learner, deadline=deadline)
    judge_steps(call, fetch, pending, deadline=deadline)


@pytest.mark.points(1)
def test_steps_can_be_cancelled_by_the_caller(learner):
    """fetch_steps cancelled by its caller ends cancelled: only its own deadline returns the partial list"""
    fetch = Probe("fetch", delay=STEP_DELAYS.__getitem__, result=page)
    seen: dict[str, Any] = {"state": "running"}

    async def scenario(fetch_steps):
        task = asyncio.create_task(fetch_steps(fetch, STEPS, deadline=20.0))
        await asyncio.sleep(3.0)  # in the second step (profile, 2–5 s)
        task.cancel()
        await asyncio.wait({task}, timeout=10.0)
        if not task.done():
            return  # the harness cancels it again, and gives up on it if it refuses
        if task.cancelled():
            seen["state"] = "cancelled"
            return
        error = task.exception()
        if error is not None:
            raise error  # reported by the harness (a stub, a bug), with its line
        seen["state"], seen["value"] = "returned", task.result()

    text = f"fetch_steps(fetch, {short(STEPS)}, deadline=20.0) as a task, cancelled by its caller at 3 s"
    call = learner.run_scenario("fetch_steps", scenario, text=text, probes=(fetch,))
    call.result()
    if seen["state"] == "returned":
        raise CheckFailed(
            f"Called {call.text}. It returned {short(seen['value'])} as if its deadline had come: it caught the "
            "CancelledError meant for it and swallowed it. Its caller (a TaskGroup, a shutdown, an outer "
            "timeout) cancelled it to stop it, and learns that it stopped from the CancelledError coming out.",
            "Don't catch CancelledError: catch TimeoutError around the whole `async with asyncio.timeout(deadline):` "
            "block. asyncio.timeout turns its own cancellation into TimeoutError and lets any other go on.",
        )
    if seen["state"] == "running":
        raise CheckFailed(
            f"Called {call.text}. It was still running 10 s after it was cancelled: it caught the CancelledError "
            "and went on with the steps.",
            "Don't catch CancelledError; catch TimeoutError around the `async with asyncio.timeout(deadline):` block.",
        )
