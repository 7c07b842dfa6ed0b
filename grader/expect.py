"""Expectations shared by checks: each reads what a run and its probes recorded and,
when it is not right, raises CheckFailed saying what happened and what to use."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Iterable

from grader.failure import CheckFailed  # noqa: F401  (checks raise it through here)
from grader.learner import FUTURE_TYPES, Call, error_text, holds, type_name
from grader.learner import short as _describe
from grader.probes import Probe

EXACT = 1e-6  # loop time is virtual: correct code hits the expected figure exactly


def same(got: Any, expected: Any) -> bool:
    """Equality a learner's object cannot fake (an ``__eq__`` that is always true):
    exact types, compared by the expected value's own rules; exceptions by identity."""
    if isinstance(expected, BaseException):
        return got is expected
    if type(got) is not type(expected):
        return False
    if type(expected) in (list, tuple):
        return len(got) == len(expected) and all(same(g, e) for g, e in zip(got, expected))
    if type(expected) is dict:  # keys too: a key object can share a real key's hash and say it is equal
        if len(got) != len(expected):
            return False
        for key, value in expected.items():
            match = next((k for k in got if same(k, key)), _NONE)
            if match is _NONE or not same(got[match], value):
                return False
        return True
    return expected == got


_NONE = object()


def results(call: Call, expected: list[Any], probe: Probe | None = None, *, concept: str, any_order: bool = False) -> list[Any]:
    """The call returned ``expected`` (a list, in input order; ``any_order``: in any order, for a check
    of something else, where a few results read from a set come out in order by chance); say how it
    differs if not."""
    got = call.result()
    if probe is not None and probe.foreign_loop:
        raise CheckFailed(
            f"Called {call.text}. The {probe.name} you were given was awaited on another event loop "
            "(asyncio.run or a new loop inside your code). Await it in your own coroutine."
        )
    items = list(got) if isinstance(got, (list, tuple)) else None
    if items is not None and any(inspect.iscoroutine(v) or type_name(v) == "coroutine" for v in items):
        raise CheckFailed(
            f"Called {call.text}. It returned coroutine objects instead of results: the calls "
            f"were made but never awaited (a forgotten await).",
            f"Await them, all together: {concept}.",
        )
    if items is not None and any(isinstance(v, asyncio.Future) or type_name(v) in FUTURE_TYPES for v in items):
        raise CheckFailed(
            f"Called {call.text}. It returned Task objects instead of their results.",
            "Await the tasks (or asyncio.gather them) and return what they produce.",
        )
    if not same(got, expected) and call.run.leaked and probe is not None:
        no_leftovers(call, probe)  # the cause comes before its effect on the results
    if got is None:
        raise CheckFailed(
            f"Called {call.text}. It returned None; expected a list: {_describe(expected)}.",
            "Did you forget the `return`?",
        )
    if type(got) is not list:
        raise CheckFailed(f"Called {call.text}. It returned {_describe(got)} ({type_name(got)}); expected a list: {_describe(expected)}.")
    _replaced_exceptions(call, got, expected)
    if any_order and same_items(got, expected):
        return got
    if not same(got, expected) and probe is not None and same_items(got, expected):
        finished = [probe.expected(item) for item in probe.ended]
        if same(got, finished):
            raise CheckFailed(
                f"Called {call.text}. The results came back in the order the calls finished, "
                f"{_describe(got)}, not in the order of the items: expected {_describe(expected)}.",
                f"Keep the input order: {concept} returns results in the order you pass the awaitables.",
            )
        raise CheckFailed(
            f"Called {call.text}. Returned the right results in the wrong order: {_describe(got)}, expected {_describe(expected)}.",
            f"Keep the input order: {concept} returns results in the order you pass the awaitables; a set (what "
            "asyncio.wait gives back) has no order, so read the results from your own list of tasks.",
        )
    if not same(got, expected):
        raise CheckFailed(f"Called {call.text}. Returned {_describe(got)}, expected {_describe(expected)}.")
    return got


def _secs(value: float) -> str:
    """Loop time as the learner should read it: exact to 10 ms, no trailing zeros (1 s, 1.01 s)."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def same_items(got: list[Any], expected: list[Any]) -> bool:
    """The same values in any order (by ``same``): for what learner code passed or returned."""
    left = list(expected)
    for value in got:
        match = next((i for i, e in enumerate(left) if same(value, e)), None)
        if match is None:
            return False
        left.pop(match)
    return not left


def _replaced_exceptions(call: Call, got: list[Any], expected: list[Any]) -> None:
    """An exception in the list that is a copy, not the object the call raised."""
    for index, (g, e) in enumerate(zip(got, expected)):
        if isinstance(e, BaseException) and g is not e and type(g) is type(e):
            raise CheckFailed(
                f"Called {call.text}. Item {index} of the result is a new {type(g).__name__}, "
                "not the exception object the call raised.",
                "Put the original exception in the list (`except Exception as error: return error`), "
                "or let asyncio.gather(..., return_exceptions=True) do it.",
            )


def ran_together(call: Call, probe: Probe, *, concept: str, items: list[Any] | None = None) -> None:
    """Every call of ``probe`` ran at the same time: loop time is the slowest delay, all in flight at once.

    With ``items``, each must have been fetched exactly once first.
    """
    call.result()  # an exception is the first thing to fix
    if not probe.calls:
        raise CheckFailed(
            f"Called {call.text}. It never called {probe.name}: the results must come from "
            f"{probe.name}(item), awaited for every item.",
            f"Call {probe.name} for each item and await them together: {concept}.",
        )
    if items is not None:
        each_item_once(call, probe, items)
    n = len(probe.calls)
    delays = [probe.delay(item) for item in probe.calls]
    slowest, total, took = max(delays), sum(delays), call.loop_time
    if abs(took - slowest) <= EXACT and probe.peak == n:
        return
    if took + EXACT < slowest:  # returned before its calls could finish
        no_leftovers(call, probe)
    what = f"{n} {probe.name} calls of {_secs(slowest)}" if len(set(delays)) == 1 else f"{n} {probe.name} calls"
    picture = call.schedule(probe.expected_together(), expected_title=f"Expected: all at once, {_secs(slowest)}")
    advice = f"Start them all before awaiting any: {concept}."
    if probe.peak <= 1 and abs(took - total) <= EXACT:
        raise CheckFailed(
            f"Called {call.text}. {what} took {_secs(took)} of loop time: they ran one after another. "
            f"Together they take {_secs(slowest)}, the time of the slowest.",
            advice,
            picture,
        )
    ends = [span.end for span in probe.spans()]
    if probe.peak == n and None not in ends and took > max(ends) + EXACT:
        raise CheckFailed(
            f"Called {call.text}. The {probe.name} calls all ran at once and had finished by {_secs(max(ends))}, "
            f"but it returned only at {_secs(took)}: it waited longer than its calls took.",
            "Wait for the calls themselves (await them, or gather them), not for a fixed time or by polling.",
            picture,
        )
    raise CheckFailed(
        f"Called {call.text}. {what} took {_secs(took)} of loop time with at most {probe.peak} running at once; "
        f"all {n} at the same time take {_secs(slowest)}.",
        advice,
        picture,
    )


def each_item_once(call: Call, probe: Probe, items: Iterable[Any]) -> None:
    """``probe`` was called exactly once per item."""
    items = list(items)
    if same_items(list(probe.calls), items):
        return
    wanted = sorted(map(repr, items))  # to name what differs
    made = sorted(map(repr, probe.calls))
    fewer = sorted(c for c in set(wanted) if 0 < made.count(c) < wanted.count(c))
    if fewer:  # a repeated item fetched once: repeats were dropped
        item, times = fewer[0], wanted.count(fewer[0])
        raise CheckFailed(
            f"Called {call.text}. {item} is in items {times} times but {probe.name} was called "
            f"{made.count(item)} time(s) for it: every entry of items gets its own call, a repeated one too, "
            "and its own result.",
            f"Don't drop repeats: make one {probe.name}(item) call per entry of items.",
        )
    extra = [c for c in set(made) if made.count(c) > wanted.count(c)]
    missing = [c for c in set(wanted) if made.count(c) < wanted.count(c)]
    parts = []
    if missing:
        parts.append(f"never called for {', '.join(sorted(missing))}")
    if extra:
        parts.append(f"called more than once for {', '.join(sorted(extra))}")
    if not parts:  # what it was called with only prints like the items
        parts.append(f"called with {_describe(probe.calls)}, objects that print like the items but are not them")
    raise CheckFailed(f"Called {call.text}. {probe.name} was {' and '.join(parts)}: call it once per item.")


def no_leftovers(call: Call, probe: Probe) -> None:
    """Nothing was left behind: every call awaited, no task still running after the return."""
    unawaited = probe.never_awaited()
    if unawaited:
        raise CheckFailed(
            f"Called {call.text}. {unawaited} of the {probe.name}(...) calls were made but never awaited, "
            "so they never ran.",
            "Every coroutine you create must be awaited (directly, or through gather or a task).",
        )
    if call.run.leaked:
        raise CheckFailed(
            f"Called {call.text}. It returned while {len(call.run.leaked)} task(s) it started were still "
            f"running ({', '.join(call.run.leaked)}): tasks created but not awaited.",
            "Await every task you create before returning (gather them, or use a TaskGroup).",
        )


def raised(call: Call, error: BaseException, item: Any, *, advice: str) -> None:
    """The call raised ``error`` itself (also accepted inside an ExceptionGroup, as TaskGroup raises)."""
    got = call.run.error
    if got is None:
        raise CheckFailed(
            f"Called {call.text}, where the call for {_describe(item)} fails with {error_text(error)}. "
            f"It returned {_describe(call.run.value)} instead of raising: the exception was swallowed.",
            advice,
        )
    if not holds(got, error):
        raise CheckFailed(
            f"Called {call.text}. Expected the {error_text(error)} raised by the failing call to propagate; "
            f"it raised {error_text(got)} at {call.where(got)} instead.",
            advice,
        )




