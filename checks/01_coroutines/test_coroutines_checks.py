"""Hidden checks of exercise 01: greet, greet_user and run_greeting.

greet and greet_user run on the harness's virtual-time loop. run_greeting is plain
(sync) code that starts its own event loop, so its checks call it directly, with every
event loop it creates turned into a virtual-time loop: `greet("Ada", 2)` inside it still
takes exactly 2.0 s of loop time and no real time.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import looptime
import pytest

from grader import expect, messages
from grader.blocking import BlockingCall, Recorder, guard_calls
from grader.failure import CheckFailed
from grader.learner import Call, describe_call, error_text, line_of, short
from grader.probes import Probe

EXACT = expect.EXACT
LIMIT = 100.0  # s of loop time: far above every wait here, far below sleep(delay * 1000)
RUN_LIMIT = 60.0  # s of loop time a loop started by run_greeting may run before it counts as hung

AWAIT = "Calling an async function only creates a coroutine object; nothing in it runs until it is awaited."
HANGS = (
    "a wait far longer than `delay`: asyncio.sleep takes seconds, so `asyncio.sleep(delay)`, not `delay * 1000`",
    "awaiting something that never finishes",
    "a loop that never ends",
)
NAMES = {7: "Ada", 42: "Grace", 1815: "Ada Lovelace"}


# --- running the learner's coroutines -------------------------------------------------


def run(learner, name: str, *args: Any) -> Call:
    """Run the coroutine function ``name(*args)`` on the harness's guarded virtual-time loop.

    Like ``learner.run``, with two verdicts worded for this exercise: a plain ``def`` is
    told to be ``async def`` before any of it runs, and a returned coroutine object is
    named (``greet(...)`` was never awaited).
    """
    function = learner.function(name)
    if not inspect.iscoroutinefunction(function):
        raise CheckFailed(
            f"{name} is a plain function (def); it must be a coroutine function: `async def {name}(...)`. "
            "A plain def runs its whole body the moment it is called, and cannot pause at `await`.",
            "Write `async def`, and wait with `await` (`await asyncio.sleep(delay)`, `await find_name(user_id)`).",
        )
    returned: list[Any] = []

    async def scenario(function: Any) -> Any:
        value = await function(*args)
        if inspect.isawaitable(value):  # the harness would say so too; here it is named
            returned.append(value)
            return None
        return value

    probes = tuple(arg for arg in args if isinstance(arg, Probe))
    try:
        call = learner.run_scenario(name, scenario, text=describe_call(name, args), probes=probes, limit=LIMIT, hang_causes=HANGS)
    except CheckFailed:
        for probe in probes:
            probe.never_awaited()  # closes what never ran: no "never awaited" warning at exit
        raise
    if returned:
        _returned_unawaited(call, returned[0], probes)
    return call


def _returned_unawaited(call: Call, value: Any, probes: tuple[Probe, ...]) -> None:
    # also closes the probes' coroutines, including a returned one
    lost = [f"{probe.name}({short(item)})" for probe in probes if probe.never_awaited() for item in probe.calls]
    if inspect.iscoroutine(value):
        value.close()
        callee = value.__qualname__
        made = callee if callee.endswith(")") else f"{callee}(...)"  # a probe's coroutine is named find_name(7)
        lost = [name for name in lost if name != made]
        also = (
            f" Before that, {lost[0]} was called but never awaited either, so what it gave was a coroutine "
            "object, not its value."
            if lost else ""
        )
        fix = f"`name = await {lost[0].split('(')[0]}(...)`, then " if lost else ""
        raise CheckFailed(
            f"Called {call.text}. It returned a coroutine object, {made}, instead of its result: "
            f"{made} was called but never awaited, so it never ran.{also} {AWAIT}",
            f"Await each call where you make it: {fix}`return await {callee.split('(')[0]}(...)`.",
        )
    if isinstance(value, asyncio.Future):
        if value.done() and not value.cancelled():
            value.exception()  # mark retrieved: it is reported here
        else:
            value.cancel()
    raise CheckFailed(
        f"Called {call.text}. It returned {short(value)}, an awaitable, instead of its result.",
        "Await it and return what it gives: `return await ...`.",
    )


def unawaited_statements(path: Path, function: str, callees: set[str]) -> list[str]:
    """Lines of ``function`` that call one of ``callees`` as a statement of its own, not awaited.

    ``asyncio.sleep(delay)`` on a line by itself makes a coroutine object and drops it.
    ``time.sleep`` is not one of them (blockbuster reports it).
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    found = []
    for node in tree.body:
        if not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function):
            continue
        for statement in ast.walk(node):
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
                continue
            callee = statement.value.func
            if isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name) and callee.value.id == "time":
                continue
            called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", None)
            if called in callees:
                found.append(f"{path.name}:{statement.lineno} (`{ast.unparse(statement.value)}`)")
    return found


def unawaited_note(path: Path, *functions: str) -> str:
    """A sentence naming a coroutine call left unawaited on a line of its own in one of
    ``functions`` (the first that has one), or ""."""
    found = [f for function in functions for f in unawaited_statements(path, function, {"sleep", "greet", "find_name"})]
    if not found:
        return ""
    return (
        f" At {found[0]} the call is not awaited: it only makes a coroutine object, which is dropped "
        "without ever running."
    )


# --- greet ------------------------------------------------------------------------------


def greet(learner, name: str, delay: float) -> Call:
    return run(learner, "greet", name, delay)


def judge_greeting(call: Call, wanted: str) -> None:
    got = call.result()
    if got is None:
        raise CheckFailed(
            f"Called {call.text}. It returned None; expected the greeting {wanted!r}.",
            "A coroutine gives its caller what it returns, like any function: end greet with "
            "`return f\"Hello, {name}!\"`.",
        )
    if not expect.same(got, wanted):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected exactly {wanted!r}.",
            "Build it from the name you were given: `f\"Hello, {name}!\"`.",
        )


def judge_wait(call: Call, delay: float) -> None:
    call.result()
    took = call.loop_time
    if abs(took - delay) <= EXACT:
        return
    if took <= EXACT:
        why = unawaited_note(call.learner.path, "greet")
        if call.run.leaked:
            why += f" It started a task ({', '.join(call.run.leaked)}) and did not wait for it to finish."
        raise CheckFailed(
            f"Called {call.text}. It returned at once, after 0 s of loop time; expected it to wait "
            f"{delay:g} s first.{why}",
            "Write `await asyncio.sleep(delay)`: await runs the sleep and pauses greet until it is over, "
            "while the event loop stays free for other coroutines.",
        )
    raise CheckFailed(
        f"Called {call.text}. It took {took:g} s of loop time; expected exactly {delay:g} s: greet waits "
        "`delay` seconds, no more and no less.",
        "Wait once, for the delay you were given: `await asyncio.sleep(delay)`.",
    )


@pytest.mark.points(1)
def test_greet_returns_the_greeting(learner):
    """greet(name, delay) returns "Hello, <name>!" for the name it is given"""
    for name, delay in [("Ada", 2), ("Grace Hopper", 0.5)]:
        judge_greeting(greet(learner, name, delay), f"Hello, {name}!")


@pytest.mark.points(2)
def test_greet_waits_exactly_delay_seconds(learner):
    """greet("Ada", 2) waits exactly 2 s of loop time, greet("Grace", 0.5) exactly 0.5 s"""
    for name, delay in [("Ada", 2), ("Grace", 0.5)]:
        judge_wait(greet(learner, name, delay), delay)


# --- greet_user -------------------------------------------------------------------------


def name_service(errors: dict | None = None) -> Probe:
    """The find_name handed to greet_user: 1.5 s of loop time per lookup."""
    return Probe("find_name", delay=1.5, result=NAMES.__getitem__, errors=errors)


def judge_lookup_awaited(call: Call, find_name: Probe) -> None:
    """Every find_name(...) call was awaited, on the loop greet_user runs on."""
    if find_name.foreign_loop:
        find_name.never_awaited()
        raise CheckFailed(
            f"Called {call.text}. It ran find_name(...) on another event loop (asyncio.run, in a thread or a "
            "new loop), not on the loop greet_user runs on. Inside a coroutine a loop is already running: "
            "await the lookup there.",
            "`name = await find_name(user_id)`: no thread, no second loop.",
        )
    unawaited = find_name.never_awaited()
    if not unawaited:
        return
    returned = call.run.value
    why = f" That is why it returned {short(returned)}." if isinstance(returned, str) and "<coroutine" in returned else ""
    made = ", ".join(f"find_name({item!r})" for item in dict.fromkeys(find_name.calls))
    raise CheckFailed(
        f"Called {call.text}. It called {made} but never awaited it, so the lookup never ran: "
        f"`find_name(user_id)` on its own is a coroutine object, not the name.{why}",
        "`name = await find_name(user_id)`: await runs the lookup and gives you the name it returns.",
    )


def judge_lookup(call: Call, find_name: Probe, user_id: int) -> Any:
    """The lookup was awaited, exactly once, for user_id; return what greet_user returned."""
    judge_lookup_awaited(call, find_name)
    got = call.result()
    calls = find_name.calls
    if not calls:
        raise CheckFailed(
            f"Called {call.text}. It never called find_name, so it cannot know the user's name.",
            "Look the name up first: `name = await find_name(user_id)`.",
        )
    if len(calls) > 1:
        raise CheckFailed(
            f"Called {call.text}. It looked the name up {len(calls)} times ({short(calls)}); once is enough.",
            "Await find_name once and keep the name in a variable: `name = await find_name(user_id)`.",
        )
    if not expect.same(calls, [user_id]):
        raise CheckFailed(
            f"Called {call.text}. It called find_name({calls[0]!r}); expected find_name({user_id!r}), "
            "for the user it was given."
        )
    return got


@pytest.mark.points(2)
def test_greet_user_greets_the_name_it_looked_up(learner):
    """greet_user awaits find_name(user_id) once and greets the name it returns"""
    for user_id, delay in [(42, 0.5), (1815, 2)]:
        find_name = name_service()
        call = run(learner, "greet_user", find_name, user_id, delay)
        got = judge_lookup(call, find_name, user_id)
        wanted = f"Hello, {NAMES[user_id]}!"
        if got == f"Hello, {user_id}!":
            raise CheckFailed(
                f"Called {call.text}. It returned {got!r}: it greeted the user id, not the name. Expected {wanted!r}.",
                "Greet the name that `await find_name(user_id)` returns.",
            )
        if not expect.same(got, wanted):
            raise CheckFailed(
                f"Called {call.text}, where find_name({user_id!r}) returns {NAMES[user_id]!r}. It returned "
                f"{short(got)}; expected {wanted!r}, what greet gives for that name.",
                "Return the greeting that greet returns (and make sure greet returns it, not prints it): "
                "`return await greet(name, delay)`."
                if got is None
                else "`return await greet(name, delay)`.",
            )


@pytest.mark.points(1)
def test_greet_user_looks_up_then_waits(learner):
    """greet_user takes the lookup's 1.5 s, then the greeting's delay: 3.5 s for delay 2"""
    find_name = name_service()
    call = run(learner, "greet_user", find_name, 7, 2)
    judge_lookup(call, find_name, 7)
    took, lookup, wanted = call.loop_time, 1.5, 1.5 + 2
    if abs(took - wanted) <= EXACT:
        return
    if abs(took - lookup) <= EXACT:
        raise CheckFailed(
            f"Called {call.text}. It returned after {took:g} s of loop time, as soon as the lookup (1.5 s) "
            f"was done: it never waited the greeting's delay of 2 s. Expected 1.5 + 2 = {wanted:g} s."
            + unawaited_note(call.learner.path, "greet_user", "greet"),
            "After the lookup, await the greeting, `return await greet(name, delay)`, and make sure greet "
            "awaits its sleep.",
        )
    raise CheckFailed(
        f"Called {call.text}. It took {took:g} s of loop time; expected exactly {wanted:g} s: the lookup "
        "(1.5 s), then the greeting's delay (2 s), one after the other.",
        "`name = await find_name(user_id)`, then `return await greet(name, delay)`: each await waits "
        "for its coroutine to finish before the next line runs.",
    )


@pytest.mark.points(1)
def test_greet_user_lets_a_lookup_error_out(learner):
    """greet_user raises the exception of a failing find_name"""
    error = LookupError("no user with id 404")
    find_name = name_service(errors={404: error})
    call = run(learner, "greet_user", find_name, 404, 1)
    judge_lookup_awaited(call, find_name)
    expect.raised(
        call,
        error,
        404,
        advice="An exception raised inside an awaited coroutine comes out of the `await`, just as from "
        "a plain function call. Don't catch it: the caller must learn that there is no such user.",
    )


# --- run_greeting: sync code that starts an event loop ----------------------------------


@dataclass
class SyncCall:
    """One direct call of a plain function of the learner, and the event loops it started."""

    text: str
    value: Any = None
    error: Exception | None = None
    loops: list[asyncio.AbstractEventLoop] = field(default_factory=list)
    left_open: int = 0  # how many of the loops were still open when it returned
    blocking: list[BlockingCall] = field(default_factory=list)

    @property
    def loop_time(self) -> float:
        return sum(loop.time() for loop in self.loops)


@contextmanager
def virtual_loops(limit: float) -> Iterator[list[asyncio.AbstractEventLoop]]:
    """Every event loop created meanwhile (asyncio.run, asyncio.new_event_loop) runs on
    virtual time from 0 and gives up at ``limit`` s of loop time; yields the loops made."""
    policy = asyncio.get_event_loop_policy()
    original = policy.new_event_loop
    made: list[asyncio.AbstractEventLoop] = []

    def new_event_loop() -> asyncio.AbstractEventLoop:
        loop = looptime.patch_event_loop(original(), end=limit)
        loop.call_at(limit + 1, lambda: None)  # a timer always pending: a hang runs into the end of time
        made.append(loop)
        return loop

    policy.new_event_loop = new_event_loop
    try:
        yield made
    finally:
        del policy.new_event_loop


@contextmanager
def no_current_loop() -> Iterator[None]:
    """As in a program that has not started asyncio yet: no event loop is set for this thread.

    (pytest-asyncio leaves one set, and asyncio.get_event_loop() would hand it out.)
    """
    policy = asyncio.get_event_loop_policy()
    previous = getattr(getattr(policy, "_local", None), "_loop", None)
    policy.set_event_loop(None)
    try:
        yield
    finally:
        policy.set_event_loop(previous if previous is not None and not previous.is_closed() else None)


def call_sync(learner, name: str, *args: Any) -> SyncCall:
    """Call the plain function ``name(*args)`` here, outside any event loop, with every loop it
    starts on virtual time and blockbuster watching the learner's code while a loop runs."""
    function = learner.function(name)
    if not inspect.iscoroutinefunction(learner.function("greet")):  # asyncio.run(greet(...)) cannot work
        raise CheckFailed(
            f"{name} runs greet(name, delay) on an event loop, but greet is a plain function (def), not a "
            "coroutine function (async def). Fix greet first; then this check can judge run_greeting.",
            "Make greet a coroutine function: `async def greet(name, delay)`, waiting with `await asyncio.sleep(delay)`.",
        )
    call = SyncCall(describe_call(name, args))
    with no_current_loop(), virtual_loops(RUN_LIMIT) as call.loops:
        recorder = Recorder(learner.files, clock=lambda: call.loops[-1].time() if call.loops else 0.0)
        with guard_calls(recorder):
            try:
                call.value = function(*args)
            except Exception as error:  # the learner's: judged below
                call.error = error
    call.blocking = recorder.calls
    call.left_open = sum(not loop.is_closed() for loop in call.loops)
    for loop in call.loops:  # closed here, so a failing check leaves nothing behind
        if not loop.is_closed() and not loop.is_running():
            loop.close()
    if inspect.iscoroutinefunction(function):
        if inspect.iscoroutine(call.value):
            call.value.close()
        raise CheckFailed(
            f"{name} must be a plain function (def, not async def): it is the synchronous start of "
            f"the program, where no event loop runs yet. Calling {call.text} returned a coroutine "
            "object, and nothing in it ran.",
            f"Write `def {name}(...)` and start the event loop inside it: `return asyncio.run(greet(name, delay))`.",
        )
    return call


def judge_started_a_loop(call: SyncCall, learner) -> None:
    """Fail on what is never right for run_greeting: blocking, an error, a coroutine object
    returned, no event loop started."""
    if call.blocking:
        first = call.blocking[0]
        key = next((k for k in messages.BLOCKING_ADVICE if first.what.startswith(k)), "default")
        raise CheckFailed(
            messages.BLOCKING_CALL.format(call=call.text, what=first.what, where=first.where or learner.exercise.filename),
            messages.BLOCKING_ADVICE[key],
        )
    error = call.error
    if error is not None:
        frames = traceback.extract_tb(error.__traceback__)
        if isinstance(error, NotImplementedError) and frames and frames[-1].filename in learner.files:
            raise CheckFailed(messages.NOT_IMPLEMENTED.format(function=frames[-1].name, readme=learner.exercise.readme))
        if isinstance(error, RuntimeError) and "cannot be called from a running event loop" in str(error):
            raise CheckFailed(messages.NESTED_RUN.format(call=call.text, what="asyncio.run()"))
        if isinstance(error, looptime.LoopTimeoutError):
            raise CheckFailed(
                f"Called {call.text}. The event loop it started had not finished after {RUN_LIMIT:g} s of "
                f"loop time; greet(name, delay) should be done after `delay` seconds.",
                messages.HUNG_ADVICE.format(causes="; ".join(HANGS)),
            )
        advice = None
        if isinstance(error, (ValueError, TypeError)) and "a coroutine was expected" in str(error):
            advice = (
                "asyncio.run takes a coroutine object, which calling an `async def` function gives: greet must "
                "be `async def`, and asyncio.run gets the call `greet(name, delay)`, not the function `greet`."
            )
        if isinstance(error, RuntimeError) and "event loop" in str(error):
            advice = (
                "asyncio.get_event_loop() only finds a loop that other code set up (and is deprecated for this "
                "since Python 3.12). Don't look for a loop: `asyncio.run(coroutine)` creates one, runs the "
                "coroutine on it and closes it."
            )
        raise CheckFailed(messages.RAISED.format(call=call.text, error=error_text(error), where=line_of(error, learner)), advice)
    value = call.value
    if inspect.iscoroutine(value):
        value.close()
        raise CheckFailed(
            f"Called {call.text}. It returned a coroutine object instead of the greeting: "
            f"`greet(name, delay)` only creates the coroutine, and nothing in it ran. Plain code cannot "
            "await; it hands the coroutine to an event loop.",
            "`return asyncio.run(greet(name, delay))`: asyncio.run starts an event loop, runs the coroutine "
            "to its end and returns its result.",
        )
    if not call.loops:
        raise CheckFailed(
            f"Called {call.text}. It returned {short(value)} without starting an event loop, so no "
            "coroutine ran: expected it to run greet(name, delay).",
            "`return asyncio.run(greet(name, delay))`.",
        )


@pytest.mark.points(2)
def test_run_greeting_runs_greet_with_asyncio_run(learner):
    """run_greeting("Ada", 2), a plain function, runs greet on an event loop: "Hello, Ada!" after 2 s"""
    call = call_sync(learner, "run_greeting", "Ada", 2)
    judge_started_a_loop(call, learner)
    if not expect.same(call.value, "Hello, Ada!"):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(call.value)}; expected 'Hello, Ada!', the greeting "
            "that greet('Ada', 2) returns.",
            "Return what asyncio.run gives you: `return asyncio.run(greet(name, delay))`.",
        )
    if abs(call.loop_time - 2) > EXACT:
        loops = "Its event loop ran" if len(call.loops) == 1 else f"The {len(call.loops)} event loops it started ran, in all,"
        note = unawaited_note(learner.path, "run_greeting", "greet") if call.loop_time <= EXACT else ""
        raise CheckFailed(
            f"Called {call.text}. {loops} for {call.loop_time:g} s of loop time; expected "
            f"exactly 2 s: greet('Ada', 2), run once.{note}",
            "`return asyncio.run(greet(name, delay))`, with the name and delay you were given.",
        )


@pytest.mark.points(1)
def test_run_greeting_closes_its_event_loop(learner):
    """run_greeting leaves no event loop open behind it"""
    call = call_sync(learner, "run_greeting", "Grace", 0.5)
    judge_started_a_loop(call, learner)
    if call.left_open:
        raise CheckFailed(
            f"Called {call.text}. It returned {short(call.value)} but left {call.left_open} of the "
            f"{len(call.loops)} event loop(s) it created open: an open loop holds on to its resources "
            "(a selector, sockets) until someone closes it.",
            "`asyncio.run(coroutine)` creates a fresh loop, runs the coroutine, then closes the loop, "
            "every time. Use it instead of managing a loop by hand (run_until_complete).",
        )
