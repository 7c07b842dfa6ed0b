"""Hidden checks of exercise 03: fetch_all and fetch_all_settled."""

import asyncio

import pytest

from grader import expect, messages
from grader.failure import CheckFailed
from grader.learner import first_leaf, known_advice
from grader.probes import Probe

pytestmark = pytest.mark.judged_apart  # the learner's code runs in a process of its own (grader.remote)

GATHER = "asyncio.gather(*(fetch(item) for item in items))"
SETTLED = "asyncio.gather(..., return_exceptions=True)"
# Not in sorted order, and the later items finish first: order checks see the difference.
ITEMS = ["kiwi", "fig", "pear", "apple"]
DELAYS = {"kiwi": 4.0, "fig": 1.0, "pear": 3.0, "apple": 2.0}


def slow_first():
    return Probe(delay=DELAYS.__getitem__, result=str.upper)


def run(learner, name, *args):
    """Call name(*args) on the test's loop, once sure that it is an `async def` coroutine function."""
    return learner.run(name, *args, plain_def=messages.GATHER_PLAIN_DEF.format(function=name))


def settled_never_raised(call, failing):
    """``failing``: which fetches fail, as a clause ("fig and pear fail")."""
    if call.run.error is not None:
        raise CheckFailed(
            f"Called {call.text}, where {failing}. It raised "
            f"{expect.error_text(call.run.error)}; fetch_all_settled must never raise: "
            "each failure's exception object goes in the list in its item's place.",
            f"Use {SETTLED}.",
        )


@pytest.mark.points(2)
def test_fetch_all_runs_fetches_together(learner):
    """fetch_all runs 3 fetches of 1 s in 1 s of loop time"""
    fetch = Probe(delay=1.0)
    call = run(learner, "fetch_all", fetch, ["b", "c", "a"])
    expect.ran_together(call, fetch, concept=GATHER, items=["b", "c", "a"])
    # the order is judged by keeps_input_order and handles_many_items (50 items: a stable verdict)
    expect.results(call, [fetch.expected(i) for i in ["b", "c", "a"]], fetch, concept=GATHER, any_order=True)


@pytest.mark.points(1)
def test_fetch_all_keeps_input_order(learner):
    """fetch_all returns results in the order of items, not the order they finish"""
    # 8 items: results read from a set (asyncio.wait's done set) come out in the order of
    # items by chance once in 40,320 runs; with 4, once in 24
    delays = {**DELAYS, "plum": 3.5, "lime": 0.5, "date": 2.5, "mango": 1.5}
    items = list(delays)
    fetch = Probe(delay=delays.__getitem__, result=str.upper)
    call = run(learner, "fetch_all", fetch, items)
    expect.results(call, [i.upper() for i in items], fetch, concept="asyncio.gather")


@pytest.mark.points(1)
def test_fetch_all_fetches_each_item_once(learner):
    """fetch_all calls fetch once per item and leaves nothing running"""
    items = ["b", "a", "b", "c"]  # a repeated item is fetched twice
    # distinct delays: they finish in one order whatever order they were started in
    fetch = Probe(delay={"b": 1.0, "a": 0.5, "c": 0.8}.__getitem__)
    call = run(learner, "fetch_all", fetch, items)
    # the order is judged by keeps_input_order (8 items: a stable verdict), not from 4 items here
    expect.results(call, [fetch.expected(i) for i in items], fetch, concept=GATHER, any_order=True)
    expect.each_item_once(call, fetch, items)
    expect.no_leftovers(call, fetch)


@pytest.mark.points(1)
def test_fetch_all_handles_many_items(learner):
    """fetch_all runs 50 fetches together and handles an empty list"""
    items = [f"item-{n}" for n in range(50, 0, -1)]
    fetch = Probe(delay=lambda item: 1.0 + int(item.split("-")[1]) % 5)
    call = run(learner, "fetch_all", fetch, items)
    expect.ran_together(call, fetch, concept=GATHER, items=items)
    expect.results(call, [fetch.expected(i) for i in items], fetch, concept=GATHER)
    empty = run(learner, "fetch_all", Probe(), [])
    expect.results(empty, [], concept=GATHER)


@pytest.mark.points(1)
@pytest.mark.parametrize("failing", ["fig", "kiwi"], ids=["fails-first", "fails-last"])
def test_fetch_all_lets_a_failure_out(learner, failing):
    """fetch_all raises the exception of a failing fetch"""
    error = LookupError(f"no such fruit: {failing}")
    fetch = Probe(delay=DELAYS.__getitem__, errors={failing: error})
    call = run(learner, "fetch_all", fetch, ITEMS)
    # an everyday mistake that raised first (a gather without its *) has its own advice
    advice = known_advice(call.run.error) or "Don't catch it in fetch_all: asyncio.gather re-raises the first failure."
    if isinstance(first_leaf(call.run.error), asyncio.InvalidStateError):
        advice = (
            "task.result() only reads a finished task: one you have just cancelled, or one still running, "
            "has no result yet. Raise the failed task's exception (`task.exception()`), or let "
            "`await asyncio.gather(...)` raise it for you."
        )
    expect.raised(call, error, failing, advice=advice)


@pytest.mark.points(2)
def test_settled_puts_exceptions_in_place(learner):
    """fetch_all_settled returns each failure's exception in its place, the rest as results"""
    errors = {"fig": LookupError("no fig"), "pear": TimeoutError("pear timed out")}
    fetch = Probe(delay=DELAYS.__getitem__, result=str.upper, errors=errors)
    call = run(learner, "fetch_all_settled", fetch, ITEMS)
    settled_never_raised(call, "fig and pear fail")
    expected = ["KIWI", errors["fig"], errors["pear"], "APPLE"]
    expect.results(call, expected, fetch, concept=SETTLED)
    expect.each_item_once(call, fetch, ITEMS)


@pytest.mark.points(1)
def test_settled_runs_fetches_together(learner):
    """fetch_all_settled runs its fetches at the same time too"""
    fetch = Probe(delay=1.0, errors={"b": ValueError("bad b")})
    call = run(learner, "fetch_all_settled", fetch, ["c", "b", "a"])
    settled_never_raised(call, "the fetch of 'b' fails")
    expect.ran_together(call, fetch, concept=SETTLED, items=["c", "b", "a"])
    expect.no_leftovers(call, fetch)
