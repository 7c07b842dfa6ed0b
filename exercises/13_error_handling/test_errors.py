"""Visible tests of exercise 13. Run them with: pytest exercises/13_error_handling

Your functions get fakes that record what happened to them, on a *virtual-time* loop
(exact, instant): `fetch` is a Probe that records when each call started, finished,
failed or was cancelled; `connect` opens a fake connection whose sends take 1 s each and
which notes whether (and when) it was closed.
"""

import asyncio

from grader.failure import CheckFailed
from grader.probes import Probe


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(
            f"Called {call.text}. Saw {saw}; expected {expected}.", advice
        )


def refuse_exception(call, advice):
    """The call must not have raised: say which exception came out, and what to do."""
    error = call.run.error
    if error is not None and not isinstance(error, NotImplementedError):
        raise CheckFailed(f"Called {call.text}. It raised {error!r}.", advice)


def test_fetch_settled_keeps_the_other_results(learner):
    """fetch_settled returns ({item: result}, {item: exception}) when b fails after 1 s and a, c take 2 s"""
    error = ValueError("b is broken")
    fetch = Probe(delay=lambda item: 1.0 if item == "b" else 2.0, errors={"b": error})
    call = learner.run("fetch_settled", fetch, ["a", "b", "c"])
    refuse_exception(
        call,
        "One failure must not abort everything: "
        "asyncio.gather(..., return_exceptions=True) keeps each exception in its place.",
    )
    got = call.result()
    cancelled = [e.item for e in fetch.events if e.kind == "cancel"]
    check(
        not cancelled,
        call,
        f"the fetches of {cancelled} cancelled when b failed (the result: {got!r})",
        "every other fetch left to finish",
        "A TaskGroup cancels the other tasks when one fails: that is for all-or-nothing (fetch_all). "
        "Here use asyncio.gather(..., return_exceptions=True), which lets every fetch finish.",
    )
    wanted = ({"a": "result of a", "c": "result of c"}, {"b": error})
    ok = isinstance(got, tuple) and got[0] == wanted[0] and list(got[1]) == ["b"]
    check(ok and got[1]["b"] is error, call, f"the result {got!r}", repr(wanted))
    check(
        call.loop_time == 2.0,
        call,
        f"{call.loop_time:g} s of loop time",
        "2 s: all at once, the time of the slowest",
    )


def test_fetch_all_returns_results_in_order(learner):
    """fetch_all returns ([results in the order of items], []) when every fetch works"""
    fetch = Probe(delay={"slow": 2.0, "quick": 1.0}.__getitem__)
    call = learner.run("fetch_all", fetch, ["slow", "quick"])
    got = call.result()
    wanted = (["result of slow", "result of quick"], [])
    check(tuple(got) == wanted, call, f"the result {got!r}", repr(wanted))
    check(
        call.loop_time == 2.0,
        call,
        f"{call.loop_time:g} s of loop time",
        "2 s: all at once",
    )


def test_fetch_all_handles_a_missing_item(learner):
    """fetch_all cancels the others when b is missing, and returns (None, [b's LookupError])"""
    error = LookupError("no such item: b")
    fetch = Probe(delay={"a": 3.0, "b": 1.0, "c": 2.0}.__getitem__, errors={"b": error})
    running = []  # the fetches still running (and not cancelled) when fetch_all ended

    async def scenario(fetch_all):
        try:
            return await fetch_all(fetch, ["a", "b", "c"])
        finally:
            ended = {e.item for e in fetch.events if e.kind != "start"}
            running.extend(item for item in fetch.started if item not in ended)

    call = learner.run_scenario(
        "fetch_all", scenario, text="fetch_all(fetch, ['a', 'b', 'c'])", probes=(fetch,)
    )
    refuse_exception(
        call,
        "A TaskGroup raises an ExceptionGroup, which `except LookupError` does not match: "
        "catch it with `except* LookupError as group:`.",
    )
    got = call.result()
    ok = isinstance(got, tuple) and got[0] is None and list(got[1]) == [error]
    check(ok, call, f"the result {got!r}", f"(None, [{error!r}])")
    check(
        not running and call.loop_time == 1.0,
        call,
        f"it ended at {call.loop_time:g} s with {running or 'nothing'} still running",
        "a and c cancelled, and the end, at 1 s, when b failed",
        "A TaskGroup cancels the other tasks when one fails (and waits until they have stopped).",
    )


class Line:
    """connect(): a fake connection. send(item) takes 1 s (and raises errors[item]);
    close() notes the loop time it was closed at."""

    name = "connect"

    def __init__(self, errors=None):
        self.send = Probe("send", delay=1.0, errors=errors)
        self.closed = []

    async def __call__(self):
        return self

    async def close(self):
        self.closed.append(asyncio.get_running_loop().time())


def test_upload_skips_a_rejected_item_and_closes(learner):
    """upload goes on after c is rejected, returns {'c': error} and closes the connection"""
    error = ValueError("c: bad checksum")
    line = Line(errors={"c": error})
    call = learner.run("upload", line, ["b", "c", "a"])
    got = call.result()
    check(
        line.send.started == ["b", "c", "a"],
        call,
        f"sends of {line.send.started}",
        "b, c, a in order",
    )
    check(got == {"c": error}, call, f"the result {got!r}", repr({"c": error}))
    check(
        line.closed == [3.0],
        call,
        f"the connection closed at {line.closed}",
        "closed at 3 s",
    )


def test_upload_closes_and_stops_when_cancelled(learner):
    """upload cancelled at 1.5 s closes the connection and ends cancelled"""
    line = Line()
    ended = []

    async def scenario(upload):
        task = asyncio.create_task(upload(line, ["b", "c", "a"]))
        await asyncio.sleep(1.5)
        task.cancel()
        await asyncio.wait({task}, timeout=5.0)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()
        ended.append(
            "cancelled"
            if task.cancelled()
            else "returned"
            if task.done()
            else "running"
        )

    call = learner.run_scenario(
        "upload", scenario, text="upload(connect, ['b', 'c', 'a']) cancelled at 1.5 s"
    )
    call.result()
    check(
        ended == ["cancelled"] and line.send.started == ["b", "c"],
        call,
        f"sends of {line.send.started}, the task {ended[0]}",
        "sends of b and c only, the task cancelled",
        "Don't catch the CancelledError (no bare `except:`), or re-raise it.",
    )
    check(
        line.closed == [1.5],
        call,
        f"the connection closed at {line.closed}",
        "closed at 1.5 s",
        "Close it in a `finally:`: it runs when the upload is cancelled too.",
    )
