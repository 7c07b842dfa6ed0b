"""Visible tests of exercise 03. Run them with: pytest exercises/03_gather

`fetch` here is a Probe: a fake async fetch that takes a set time of *virtual*
loop time and records when each call starts and finishes. Virtual time makes
"3 fetches of 1 s take 1 s" an exact, instant measurement.
"""

import asyncio

from grader import expect, messages
from grader.learner import first_leaf
from grader.probes import Probe

GATHER = "asyncio.gather(*(fetch(item) for item in items))"


def run(learner, name, *args):
    """Call name(*args) on the test's loop, once sure that it is an `async def` coroutine function."""
    return learner.run(name, *args, plain_def=messages.GATHER_PLAIN_DEF.format(function=name))


def test_fetch_all_returns_results_in_order(learner):
    """fetch_all returns one result per item, in the order of items (10 items, the later ones finish first)"""
    # 10 items: results read from a set (asyncio.wait's done set) come out in order by chance with a few
    delays = {"slow": 2.5, "quick": 1.0, "kiwi": 2.25, "fig": 0.5, "pear": 2.0,
              "plum": 1.5, "lime": 0.25, "date": 2.75, "mango": 1.25, "apple": 0.75}
    items = list(delays)
    fetch = Probe(delay=delays.__getitem__)
    call = run(learner, "fetch_all", fetch, items)
    try:
        expect.results(call, [f"result of {item}" for item in items], fetch, concept="asyncio.gather")
    except expect.CheckFailed as failure:
        if failure.advice or "wrong order" not in failure.message:
            raise
        raise expect.CheckFailed(
            failure.message,
            "A set has no order: reading the results from asyncio.wait's done set (or any set) shuffles them. "
            "asyncio.gather returns the results in the order you pass the awaitables; or read your own list of tasks.",
        ) from None


def test_fetch_all_runs_fetches_together(learner):
    """3 fetches of 1 s take 1 s of loop time, not 3 s"""
    fetch = Probe(delay=1.0)
    call = run(learner, "fetch_all", fetch, ["a", "b", "c"])
    expect.ran_together(call, fetch, concept=GATHER, items=["a", "b", "c"])


def test_fetch_all_lets_a_failure_out(learner):
    """fetch_all raises the exception of a failing fetch, also one that fails while the others still run"""
    error = ValueError("b is broken")
    fetch = Probe(delay={"a": 2.0, "b": 1.0, "c": 3.0}.__getitem__, errors={"b": error})
    call = run(learner, "fetch_all", fetch, ["a", "b", "c"])
    advice = "Let it out: don't catch it in fetch_all."
    if isinstance(first_leaf(call.run.error), asyncio.InvalidStateError):
        advice = (
            "task.result() only reads a finished task: one still running, or one you have just cancelled, has no "
            "result yet. Let `await asyncio.gather(...)` raise the first failure for you (or raise the failed "
            "task's `task.exception()`)."
        )
    expect.raised(call, error, "b", advice=advice)


def test_fetch_all_runs_many_fetches_together(learner):
    """fetch_all runs 20 fetches of 1 to 5 s all at once: 5 s of loop time, however long the slowest takes"""
    items = [f"item-{n}" for n in range(20, 0, -1)]
    fetch = Probe(delay=lambda item: 1.0 + int(item.split("-")[1]) % 5)
    call = run(learner, "fetch_all", fetch, items)
    if isinstance(call.run.error, asyncio.TimeoutError):
        raise expect.CheckFailed(
            f"Called {call.text}, where the slowest fetches take 5 s. It raised TimeoutError at "
            f"{call.where(call.run.error)}: a time limit cut off the fetches that take longer; expected all 20 "
            "results after 5 s.",
            "Don't add a timeout (asyncio.wait_for, asyncio.timeout) that the task does not ask for: "
            f"fetch_all waits for every fetch, however long it takes. {GATHER} does.",
        )
    expect.ran_together(call, fetch, concept=GATHER, items=items)
    expect.results(call, [f"result of {item}" for item in items], fetch, concept=GATHER)


def test_fetch_all_fetches_a_repeated_item_each_time(learner):
    """fetch_all calls fetch once per entry of items: an item listed twice is fetched twice"""
    items = ["b", "a", "b", "c"]
    fetch = Probe(delay={"b": 1.0, "a": 0.5, "c": 0.8}.__getitem__)
    call = run(learner, "fetch_all", fetch, items)
    # the order is test_fetch_all_returns_results_in_order's business (10 items: a stable verdict)
    expect.results(call, [f"result of {item}" for item in items], fetch, concept=GATHER, any_order=True)
    expect.each_item_once(call, fetch, items)


def test_fetch_all_of_no_items_returns_an_empty_list(learner):
    """fetch_all(fetch, []) returns [] (no items, no results)"""
    fetch = Probe()
    call = run(learner, "fetch_all", fetch, [])
    if isinstance(call.run.error, ValueError) and "empty" in str(call.run.error):
        raise expect.CheckFailed(
            f"Called {call.text}. It raised {expect.error_text(call.run.error)} at {call.where(call.run.error)}: "
            "asyncio.wait refuses an empty collection; expected [].",
            f"{GATHER} of no awaitables returns [] at once; with asyncio.wait, return [] first when there are no items.",
        )
    expect.results(call, [], concept=GATHER)


def test_fetch_all_settled_keeps_failures_in_place(learner):
    """fetch_all_settled puts a failure's exception in its place and does not raise"""
    error = ValueError("b is broken")
    fetch = Probe(delay=1.0, errors={"b": error})
    call = run(learner, "fetch_all_settled", fetch, ["a", "b", "c"])
    if call.run.error is not None:
        raise expect.CheckFailed(
            f"Called {call.text}, where b fails. It raised {expect.error_text(call.run.error)}: "
            "fetch_all_settled must never raise; b's exception object goes in the list in b's place.",
            "Use asyncio.gather(..., return_exceptions=True).",
        )
    expect.results(call, ["result of a", error, "result of c"], fetch, concept="return_exceptions=True")
    expect.ran_together(call, fetch, concept="asyncio.gather(..., return_exceptions=True)", items=["a", "b", "c"])
