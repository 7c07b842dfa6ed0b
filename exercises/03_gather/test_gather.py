"""Visible tests of exercise 03. Run them with: pytest exercises/03_gather

`fetch` here is a Probe: a fake async fetch that takes a set time of *virtual*
loop time and records when each call starts and finishes. Virtual time makes
"3 fetches of 1 s take 1 s" an exact, instant measurement.
"""

from grader import expect, messages
from grader.probes import Probe

GATHER = "asyncio.gather(*(fetch(item) for item in items))"


def run(learner, name, *args):
    """Call name(*args) on the test's loop, once sure that it is an `async def` coroutine function."""
    return learner.run(name, *args, plain_def=messages.GATHER_PLAIN_DEF.format(function=name))


def test_fetch_all_returns_results_in_order(learner):
    """fetch_all returns one result per item, in the order of items"""
    fetch = Probe(delay={"slow": 3.0, "quick": 1.0}.__getitem__)
    call = run(learner, "fetch_all", fetch, ["slow", "quick"])
    expect.results(call, ["result of slow", "result of quick"], fetch, concept="asyncio.gather")


def test_fetch_all_runs_fetches_together(learner):
    """3 fetches of 1 s take 1 s of loop time, not 3 s"""
    fetch = Probe(delay=1.0)
    call = run(learner, "fetch_all", fetch, ["a", "b", "c"])
    expect.ran_together(call, fetch, concept=GATHER, items=["a", "b", "c"])


def test_fetch_all_lets_a_failure_out(learner):
    """fetch_all raises the exception of a failing fetch"""
    error = ValueError("b is broken")
    fetch = Probe(delay=1.0, errors={"b": error})
    call = run(learner, "fetch_all", fetch, ["a", "b", "c"])
    expect.raised(call, error, "b", advice="Let it out: don't catch it in fetch_all.")


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
