"""Visible tests of exercise 06. Run them with: pytest exercises/06_timeouts

`fetch` here is a fake async fetch that takes a set time of *virtual* loop time and
records when each call started and how it ended (answered, failed or cancelled).
Virtual time makes "give up after 2 s on a 30 s fetch" an exact, instant measurement.
"""

import asyncio

from grader import expect
from grader.failure import CheckFailed
from grader.probes import Probe


def page(item):
    return f"<{item} page>"


class Flaky:
    """fetch(item) whose n-th call follows script[n] (the last entry repeats):
    (seconds, "ok") answers after that long, (seconds, "error") raises ConnectionError."""

    name = "fetch"

    def __init__(self, *script):
        self.script = script
        self.log = []  # (start, end, "ok" / "error" / "cancelled") per attempt

    async def __call__(self, item):
        loop = asyncio.get_running_loop()
        seconds, outcome = self.script[min(len(self.log), len(self.script) - 1)]
        entry = [loop.time(), None, "running"]
        self.log.append(entry)
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            entry[1:] = [loop.time(), "cancelled"]
            raise
        entry[1:] = [loop.time(), outcome]
        if outcome == "error":
            raise ConnectionError("connection reset by peer")
        return page(item)


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


def at(call, seconds):
    return abs(call.loop_time - seconds) < 1e-6


def when(call):
    return f"it finish at {call.loop_time:g} s of loop time"


def test_fetch_or_default_returns_a_quick_answer(learner):
    """fetch_or_default returns what a 1.25 s fetch answered, at 1.25 s"""
    fetch = Probe(delay=1.25, result=page)  # an odd time: no poll period lands on it
    call = learner.run("fetch_or_default", fetch, "weather", 5.0, "(cached)")
    value = call.result()
    check(value == "<weather page>", call, f"the result {value!r}", "'<weather page>'")
    check(
        at(call, 1.25),
        call,
        when(call) + ", though the fetch answered at 1.25 s",
        "1.25 s, as soon as the fetch answered",
        "Await the fetch itself, `await asyncio.wait_for(fetch(item), seconds)`: it returns the moment the fetch "
        "answers. A loop that sleeps, then looks at task.done() or the clock, answers late.",
    )


def test_fetch_or_default_gives_up_with_the_default(learner):
    """fetch_or_default gives up on a 30 s fetch after 2 s and returns the default"""
    fetch = Probe(delay=30.0, result=page)
    call = learner.run("fetch_or_default", fetch, "weather", 2.0, "(cached)")
    value = call.result()
    check(at(call, 2.0), call, when(call), "2 s", "Use asyncio.wait_for(fetch(item), seconds).")
    advice = "`except TimeoutError: return default`"
    check(value == "(cached)", call, f"the result {value!r}", "the default, '(cached)'", advice)


def test_fetch_or_default_stops_the_fetch_it_gave_up_on(learner):
    """fetch_or_default cancels the 30 s fetch it gave up on at 2 s: nothing is left running"""
    fetch = Probe(delay=30.0, result=page)
    left_running = []

    async def scenario(fetch_or_default):
        before = asyncio.all_tasks()
        value = await fetch_or_default(fetch, "weather", 2.0, "(cached)")
        # the tasks it started that were still running when it returned, not even asked to stop (task.cancel())
        left_running.extend(t.get_coro().__qualname__ for t in asyncio.all_tasks() - before if not t.cancelling())
        return value

    call = learner.run_scenario(
        "fetch_or_default", scenario, text="fetch_or_default(fetch, 'weather', 2.0, '(cached)')", probes=(fetch,)
    )
    value = call.result()
    if left_running:
        raise CheckFailed(
            f"Called {call.text}. It returned {value!r} at {call.loop_time:g} s but left {', '.join(left_running)} "
            "running: the fetch it gave up on would go on for another 28 s, for nobody. Expected it to be cancelled.",
            "asyncio.wait_for and asyncio.timeout cancel the fetch for you when time is up; asyncio.wait(..., "
            "timeout=...) only stops waiting: then cancel what is still pending yourself (`task.cancel()`).",
        )


def test_fetch_or_default_lets_other_errors_out(learner):
    """fetch_or_default raises the fetch's own ConnectionError: only a timeout gives the default"""
    error = ConnectionError("the weather service refused the connection")
    fetch = Probe(delay=1.0, result=page, errors={"weather": error})
    call = learner.run("fetch_or_default", fetch, "weather", 5.0, "(cached)")
    expect.raised(
        call,
        error,
        "weather",
        advice="Catch only the timeout: `except TimeoutError: return default`. A ConnectionError is not a timeout, "
        "and the caller must hear of it.",
    )


def test_fetch_with_retries_tries_again(learner):
    """fetch_with_retries retries after a failure: fails at 1 s, pauses 2 s, answers at 4 s"""
    fetch = Flaky((1.0, "error"), (1.0, "ok"))
    call = learner.run("fetch_with_retries", fetch, "status", 5.0, 2.0, 60.0)
    value = call.result()
    starts = [entry[0] for entry in fetch.log]
    check(starts == [0.0, 3.0], call, f"attempts starting at {starts} s", "[0.0, 3.0]: fail at 1 s, pause 2 s, retry")
    check(value == "<status page>", call, f"the result {value!r}", "'<status page>'")
    check(at(call, 4.0), call, when(call), "4 s")


def test_fetch_with_retries_lets_other_errors_out(learner):
    """fetch_with_retries raises a ValueError at once: only timeouts and ConnectionError are retried"""
    error = ValueError("the status page is not valid JSON")
    fetch = Probe(delay=0.5, result=page, errors={"status": error})
    call = learner.run("fetch_with_retries", fetch, "status", 2.0, 1.0, 10.0)
    if len(fetch.calls) > 1:
        got = call.run.error
        ended = f"{type(got).__name__} raised" if got is not None else "a return"
        raise CheckFailed(
            f"Called {call.text}, where fetch raises {error!r} after 0.5 s: a bug in the answer, not a network "
            f"failure. Saw {len(fetch.calls)} attempts, then {ended} at {call.loop_time:g} s of loop time; expected "
            "one attempt, and that ValueError itself raised at 0.5 s.",
            "Catch only what is worth retrying, `except (TimeoutError, ConnectionError):`. `except Exception` "
            "retries a bug too, and hides it behind a TimeoutError at the deadline.",
        )
    expect.raised(
        call,
        error,
        "status",
        advice="Catch only TimeoutError and ConnectionError around an attempt; let any other error out.",
    )


def test_fetch_with_retries_gives_up_at_the_deadline(learner):
    """fetch_with_retries raises TimeoutError at the 10 s deadline when nothing ever answers"""
    # try 0–2 cut off, pause 1, try 3–5 cut off, pause 2, try 7–9 cut off, pause 4 ... cut at 10
    fetch = Flaky((60.0, "ok"))
    call = learner.run("fetch_with_retries", fetch, "status", 2.0, 1.0, 10.0)
    error = call.run.error
    starts = [entry[0] for entry in fetch.log]
    advice = "Cut each attempt off after `timeout` s (asyncio.timeout or asyncio.wait_for), then pause 1 s, 2 s, 4 s."
    check(starts == [0.0, 3.0, 7.0], call, f"attempts starting at {starts} s", "[0.0, 3.0, 7.0]", advice)
    check(
        isinstance(error, TimeoutError) and at(call, 10.0),
        call,
        f"it {'raise ' + type(error).__name__ if error else 'return'} at {call.loop_time:g} s",
        "TimeoutError at exactly 10 s",
        "Put `async with asyncio.timeout(deadline):` around the whole retry loop.",
    )


def test_fetch_steps_returns_what_arrived_in_time(learner):
    """fetch_steps with steps of 2, 3 and 4 s and a 7 s deadline returns the first two results at 7 s"""
    fetch = Probe(delay={"login": 2.0, "profile": 3.0, "inbox": 4.0}.__getitem__, result=page)
    call = learner.run("fetch_steps", fetch, ["login", "profile", "inbox"], 7.0)
    value = call.result()
    order = fetch.started
    check(order == ["login", "profile", "inbox"], call, f"steps started in the order {order}", "login, profile, inbox")
    check(fetch.peak == 1, call, f"{fetch.peak} steps running at once", "one step at a time")
    advice = "Put one `async with asyncio.timeout(deadline):` around the whole loop of steps."
    check(at(call, 7.0), call, when(call), "7 s, the deadline", advice)
    wanted = ["<login page>", "<profile page>"]
    check(value == wanted, call, f"the result {value!r}", f"{wanted}: the results that arrived in time")


def test_fetch_steps_can_be_cancelled_by_the_caller(learner):
    """fetch_steps cancelled by its caller at 3 s ends cancelled: only its own deadline returns the partial list"""
    fetch = Probe(delay={"login": 2.0, "profile": 3.0, "inbox": 4.0}.__getitem__, result=page)
    seen = {}

    async def scenario(fetch_steps):
        task = asyncio.create_task(fetch_steps(fetch, ["login", "profile", "inbox"], 20.0))
        await asyncio.sleep(3.0)  # during the second step, profile (2-5 s)
        task.cancel()
        await asyncio.wait({task}, timeout=10.0)
        if task.done() and not task.cancelled():
            seen["value"] = task.result()  # an error is reported with its line
        seen["state"] = "cancelled" if task.cancelled() else "returned" if task.done() else "running"

    text = "fetch_steps(fetch, ['login', 'profile', 'inbox'], 20.0) as a task, and cancelled it at 3 s"
    call = learner.run_scenario("fetch_steps", scenario, text=text, probes=(fetch,))
    call.result()
    state = seen.get("state")
    saw = {
        "returned": f"it return {seen.get('value')!r}, as if its deadline had come: it caught the CancelledError "
        "meant for it and swallowed it",
        "running": "it still running 10 s later: it caught the CancelledError and went on with the steps",
    }.get(state)
    check(
        saw is None,
        call,
        saw,
        "the task to end cancelled: its caller (a TaskGroup, a shutdown, an outer timeout) cancels it to stop it, "
        "and learns that it stopped from the CancelledError coming out",
        "Don't catch CancelledError: catch TimeoutError around the whole `async with asyncio.timeout(deadline):` "
        "block. asyncio.timeout turns its own cancellation into TimeoutError and lets any other go on.",
    )
