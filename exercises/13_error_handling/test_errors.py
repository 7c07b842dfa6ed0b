"""Visible tests of exercise 13. Run them with: pytest exercises/13_error_handling

Your functions get fakes that record what happened to them, on a *virtual-time* loop
(exact, instant): `fetch` is a Probe that records when each call started, finished,
failed or was cancelled; `connect` opens a fake connection whose sends take 1 s each and
which notes whether (and when) it was closed.
"""

import asyncio

from grader.failure import CheckFailed
from grader.learner import describe_call, error_text
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


def holds(raised, error):
    """``raised`` is ``error`` itself, or an ExceptionGroup (a TaskGroup's) holding it."""
    if raised is error:
        return True
    if isinstance(raised, BaseExceptionGroup):
        return any(holds(inner, error) for inner in raised.exceptions)
    return False


def how_it_ended(task):
    if task.cancelled():
        return "cancelled"
    if not task.done():
        return "was still running 5 s after the cancel"
    if task.exception() is not None:
        return f"raised {error_text(task.exception())}"
    return f"returned {task.result()!r}"


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


def test_fetch_settled_stops_when_cancelled(learner):
    """fetch_settled cancelled at 0.5 s ends cancelled, and cancels its fetches then"""
    fetch = Probe(delay=2.0)
    ended = []

    async def scenario(fetch_settled):
        task = asyncio.create_task(fetch_settled(fetch, ["c", "b", "a"]))
        await asyncio.sleep(0.5)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()
        task.cancel()
        await asyncio.wait({task}, timeout=5.0)
        ended.append(how_it_ended(task))
        await asyncio.sleep(2.0)  # past the end of a fetch left running

    call = learner.run_scenario(
        "fetch_settled",
        scenario,
        text="fetch_settled(fetch, ['c', 'b', 'a']) cancelled at 0.5 s",
        probes=(fetch,),
    )
    call.result()
    check(
        ended == ["cancelled"],
        call,
        f"that it {ended[0]}: the CancelledError never came out of it",
        "it to end cancelled, so whoever cancelled it (a timeout, a TaskGroup, a user who gave up) "
        "knows it stopped",
        "Don't catch the CancelledError to return what you have (no `except asyncio.CancelledError:`, "
        "`except BaseException:` or bare `except:` that returns); if you catch it, clean up and `raise` it again.",
    )
    cancelled = {e.item: e.at for e in fetch.events if e.kind == "cancel"}
    ran_on = [item for item in fetch.started if cancelled.get(item) != 0.5]
    finished = {e.item: e.at for e in fetch.events if e.kind == "finish"}
    check(
        not ran_on,
        call,
        f"the fetches of {ran_on} run on without it"
        + (f" (until {max(finished.values()):g} s)" if finished else ""),
        "every fetch cancelled at 0.5 s, with fetch_settled: nothing wants their results any more",
        "asyncio.gather (and a TaskGroup) cancel what they wait for when they are cancelled; "
        "asyncio.wait and asyncio.as_completed do not, and tasks you created run on until you cancel them.",
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


def test_fetch_all_returns_every_missing_item(learner):
    """fetch_all returns (None, [b's LookupError, c's LookupError]) when b and c are missing at once"""
    errors = {"b": LookupError("no such item: b"), "c": KeyError("c")}  # KeyError is a LookupError too
    fetch = Probe(delay=1.0, errors=errors)
    call = learner.run("fetch_all", fetch, ["a", "b", "c"])
    refuse_exception(call, "Catch them with `except* LookupError as group:`: group.exceptions holds every one.")
    got = call.result()
    found = list(got[1]) if isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], (list, tuple)) else None
    check(
        isinstance(got, tuple) and got[0] is None and found is not None
        and len(found) == 2 and all(any(f is e for f in found) for e in errors.values()),
        call,
        f"the result {got!r}",
        f"(None, [{errors['b']!r}, {errors['c']!r}]) in any order: every LookupError, not only the first",
        "`except* LookupError as group:` gives you all of them in `group.exceptions`: keep the whole list.",
    )


def test_fetch_all_lets_other_errors_out(learner):
    """fetch_all handles only LookupError: a RuntimeError that fails with it comes out of fetch_all"""
    missing = LookupError("no such item: b")
    bug = RuntimeError("bug in the c parser")
    fetch = Probe(
        delay={"a": 3.0, "b": 1.0, "c": 1.0}.__getitem__, errors={"b": missing, "c": bug}
    )
    call = learner.run("fetch_all", fetch, ["a", "b", "c"])
    raised, got = call.run.error, call.run.value
    among = isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], list) and bug in got[1]
    check(
        raised is not None,
        call,
        f"b fail with LookupError and c with RuntimeError at 1 s, and the result {got!r}: the RuntimeError "
        + ("was counted as a missing item" if among else "was swallowed"),
        "the RuntimeError to come out of fetch_all (on its own or in an ExceptionGroup): only a missing "
        "item is fetch_all's to handle, any other exception is a bug the caller must see",
        "Handle LookupError alone: `except* LookupError` runs for the LookupErrors and lets every other "
        "exception go on out (`except* Exception` and `except ExceptionGroup` catch them all).",
    )
    check(
        holds(raised, bug),
        call,
        f"it raise {error_text(raised)} at {call.where(raised)}, not the RuntimeError c's fetch raised: "
        "its type, its message and its traceback are lost to the caller",
        "the RuntimeError itself to come out of fetch_all (on its own or in an ExceptionGroup)",
        "Don't raise an exception of your own in its place: `except* LookupError` handles the LookupErrors, "
        "and every other exception leaves in the ExceptionGroup without any code of yours.",
    )


class Line:
    """connect(): a fake connection. send(item) takes 1 s (and raises errors[item]);
    close() notes the loop time it was closed at."""

    name = "connect"

    def __init__(self, errors=None):
        self.send = Probe("send", delay=1.0, errors=errors)
        self.closed = []
        self.closed_at_end = None  # how many closes had happened when upload ended

    async def __call__(self):
        return self

    async def close(self):
        self.closed.append(asyncio.get_running_loop().time())


async def noting_the_end(upload, line, items):
    """upload(line, items), noting how often the connection was closed by the time it ended."""
    try:
        return await upload(line, items)
    finally:
        line.closed_at_end = len(line.closed)


def run_upload(learner, line, items):
    return learner.run_scenario(
        "upload",
        lambda upload: noting_the_end(upload, line, items),
        text=describe_call("upload", (line, items)),
        probes=(line.send,),
    )


def check_closed(call, line, when, why, advice=None):
    """The connection was closed once, at ``when`` s of loop time, before upload ended."""
    check(
        len(line.closed) < 2,
        call,
        f"the connection closed {len(line.closed)} times (at {line.closed})",
        f"closed once, at {when:g} s",
        "Close it in one place only: a `finally:` runs on every way out (a return, an exception, a "
        "cancellation), so an `except` that closes it too closes it twice.",
    )
    check(
        not line.closed or line.closed_at_end,
        call,
        "upload end with the connection not closed yet: connection.close() ran only afterwards (started "
        "in a task?), so whoever called upload may go on while the connection is still open",
        f"closed at {when:g} s, before upload ends",
        "Await the close where you start it: `finally: await connection.close()`.",
    )
    check(
        line.closed == [when],
        call,
        "the connection never closed" if not line.closed
        else "the connection closed at " + " and ".join(f"{t:g} s" for t in line.closed),
        f"closed at {when:g} s{why}",
        advice,
    )


def test_upload_skips_a_rejected_item_and_closes(learner):
    """upload goes on after c is rejected, returns {'c': error} and closes the connection"""
    error = ValueError("c: bad checksum")
    line = Line(errors={"c": error})
    call = run_upload(learner, line, ["b", "c", "a"])
    got = call.result()
    check(
        line.send.started == ["b", "c", "a"],
        call,
        f"sends of {line.send.started}",
        "b, c, a in order",
    )
    check(got == {"c": error}, call, f"the result {got!r}", repr({"c": error}))
    check_closed(call, line, 3.0, "")


def test_upload_stops_on_a_broken_connection(learner):
    """upload lets a ConnectionResetError out at once, after closing the connection"""
    error = ConnectionResetError("connection reset by peer")
    line = Line(errors={"c": error})
    call = run_upload(learner, line, ["b", "c", "a"])
    raised = call.run.error
    check(
        raised is not None,
        call,
        f"sends of {line.send.started} and the result {call.run.value!r}: the ConnectionResetError of c "
        "at 2 s was caught as if c had been rejected",
        "that error to come out of upload: only ValueError rejects an item, any other exception means "
        "the upload cannot go on",
        "Catch only ValueError around each send (`except ValueError as error:`): `except Exception`, "
        "`except BaseException` and a bare `except:` also catch a broken connection.",
    )
    check(
        holds(raised, error),
        call,
        f"it raise {error_text(raised)} at {call.where(raised)}, a new exception in place of the "
        "ConnectionResetError: its type, its message and its traceback are lost to the caller",
        "the ConnectionResetError itself to come out of upload",
        "Catch only ValueError around each send; a `finally:` closes the connection and lets any other "
        "exception go on out by itself.",
    )
    check(
        line.send.started == ["b", "c"],
        call,
        f"sends of {line.send.started}",
        "b and c only: nothing sent after the connection broke at 2 s",
    )
    check_closed(
        call,
        line,
        2.0,
        " when the connection broke",
        "Close it in a `finally:`: it runs when an exception goes out too.",
    )


def test_upload_closes_and_stops_when_cancelled(learner):
    """upload cancelled at 1.5 s closes the connection and ends cancelled"""
    line = Line()
    ended = []

    async def scenario(upload):
        task = asyncio.create_task(noting_the_end(upload, line, ["b", "c", "a"]))
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
    check_closed(
        call,
        line,
        1.5,
        "",
        "Close it in a `finally:`: it runs when the upload is cancelled too.",
    )
