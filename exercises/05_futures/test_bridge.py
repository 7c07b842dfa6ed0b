"""Visible tests of exercise 05. Run them with: pytest exercises/05_futures

The APIs handed to your functions are small fakes defined here. They answer in *virtual*
loop time (loop.call_later), so "the answer comes after 2 s" costs nothing and is exact.
The hidden checks try more: answers that come at once, late answers, bursts, cancellation.
"""

import asyncio
import concurrent.futures

from grader import expect
from grader.failure import CheckFailed

HANG_CAUSE = (
    "a future nobody ever resolves: every path through your callback must settle it"
)


def callback_api(delay, error=None):
    """start(request, on_done): calls on_done(error, result) `delay` s of loop time later (with
    delay=None: at once, before start returns). `start.raised` keeps what on_done raised."""
    raised = []

    def answer(request, on_done):
        args = (error, None) if error is not None else (None, f"reply to {request}")
        try:
            on_done(*args)
        except Exception as exc:  # kept for the test to report, instead of the loop's log
            raised.append((f"on_done({', '.join(map(repr, args))})", exc))

    def start(request, on_done):
        if delay is None:
            answer(request, on_done)
        else:
            asyncio.get_running_loop().call_later(delay, answer, request, on_done)

    start.raised = raised
    return start


def callbacks_fine(call, api, what, advice):
    """Nothing your callbacks did raised: neither in the call from the fake API, nor later in the loop."""
    for called, error in api.raised:
        raise CheckFailed(
            f"Called {call.text}; {what}. {called} raised {type(error).__name__}: {error}; expected it to "
            "raise nothing.",
            advice,
        )
    for logged in call.run.loop_errors:
        raise CheckFailed(
            f"Called {call.text}; {what}. A callback you scheduled failed in the event loop: {logged}; expected "
            "nothing to fail.",
            advice,
        )


ONCE = (
    "A future is set once: set_result or set_exception on a future that is done (already set, or cancelled "
    "because nobody waits any more) raises InvalidStateError. Guard every set: "
    "`if not future.done(): future.set_result(...)`, and set either the exception or the result, never both."
)


def test_from_callback_returns_the_result(learner):
    """from_callback returns what on_done reported, 2 s later"""
    call = learner.run("from_callback", callback_api(2.0), "order-7", limit=60)
    got = call.result()
    if got != "reply to order-7":
        raise CheckFailed(
            f"Called {call.text}; on_done(None, 'reply to order-7') came at 2 s. It returned {got!r}.",
            "Set the future's result in on_done (`future.set_result(result)`) and return `await future`.",
        )
    if call.loop_time != 2.0:
        raise CheckFailed(
            f"Called {call.text}; the answer came at 2 s, but it returned at {call.loop_time:g} s.",
            "Await the future itself, not a fixed sleep: it wakes you the moment it is set.",
        )


def test_from_callback_raises_the_error(learner):
    """from_callback raises the error on_done reported, and does not wait for ever"""
    error = ConnectionError("the server hung up")
    start = callback_api(1.0, error)
    call = learner.run(
        "from_callback",
        start,
        "order-7",
        limit=60,
        hang_causes=(HANG_CAUSE,),
    )
    expect.raised(
        call,
        error,
        "order-7",
        advice="In on_done: `if error is not None: future.set_exception(error)`.",
    )
    callbacks_fine(
        call,
        start,
        "on_done(error, None) came at 1 s",
        "Set the exception OR the result: `if error is not None: future.set_exception(error)` "
        "`else: future.set_result(result)`. " + ONCE,
    )


def run_cancelled(learner, name, api, argument, text):
    """name(api, argument) as a task, cancelled by its caller at 1 s; the loop goes on to 3 s.
    Returns (call, how the task ended: "cancelled", "returned ..." or "still running")."""
    ended = {}

    async def scenario(function):
        task = asyncio.ensure_future(function(api, argument))
        await asyncio.sleep(1.0)
        task.cancel()
        await asyncio.wait({task}, timeout=2.0)
        await asyncio.sleep(3.0 - asyncio.get_running_loop().time())  # the late answer (2 s) comes meanwhile
        if not task.done():
            ended["how"] = "still running"
            task.cancel()
        elif task.cancelled():
            ended["how"] = "cancelled"
        else:
            ended["how"] = f"returned {task.result()!r}"  # an error is reported with its line

    call = learner.run_scenario(name, scenario, text=text)
    call.result()
    return call, ended["how"]


SWALLOWED = (
    "Don't catch CancelledError (or let a `finally:` do the cleanup and the CancelledError go on): the caller "
    "cancelled you to stop you, and learns that you stopped from the CancelledError coming out."
)


def test_from_callback_ignores_an_answer_after_cancel(learner):
    """from_callback cancelled by its caller at 1 s ends cancelled, and the answer at 2 s does no harm"""
    start = callback_api(2.0)
    text = "from_callback(start, 'order-7') as a task, cancelled by its caller at 1 s"
    call, how = run_cancelled(learner, "from_callback", start, "order-7", text)
    if how != "cancelled":
        raise CheckFailed(f"Called {call.text}. It {how}; expected it to end cancelled.", SWALLOWED)
    callbacks_fine(
        call,
        start,
        "the answer came at 2 s anyway, when the future was cancelled",
        "In on_done, first `if future.done(): return` (the caller gave up: nobody waits for the answer). " + ONCE,
    )


def test_from_callback_handles_an_answer_at_once(learner):
    """from_callback returns the answer when start calls on_done at once, before start returns"""
    start = callback_api(None)
    got = {}

    async def scenario(from_callback):
        task = asyncio.ensure_future(from_callback(start, "order-7"))
        await asyncio.wait({task}, timeout=5.0)
        if task.done():
            got["value"] = task.result()  # an error is reported with its line
        else:
            task.cancel()

    call = learner.run_scenario("from_callback", scenario, text="from_callback(start, 'order-7')")
    callbacks_fine(
        call,
        start,
        "start called on_done(None, 'reply to order-7') at once, before it returned",
        "Create the future first, `future = loop.create_future()`, then call start: an API may call on_done "
        "before start returns.",
    )
    call.result()
    if "value" not in got:
        raise CheckFailed(
            f"Called {call.text}; start called on_done(None, 'reply to order-7') at once. 5 s later it had still "
            "not returned; expected 'reply to order-7' at once.",
            "Create the future before you call start, and let on_done set it.",
        )


def test_first_message_returns_the_first_and_unsubscribes(learner):
    """first_message returns the first of 3 messages sent at once, and unsubscribes"""
    seen = {"subscribed": 0, "unsubscribed": 0}

    def subscribe(channel, on_message):
        seen["subscribed"] += 1
        loop = asyncio.get_running_loop()
        for text in ("alarm 1", "alarm 2", "alarm 3"):
            loop.call_later(1.0, deliver, on_message, text)

        def unsubscribe():
            seen["unsubscribed"] += 1

        return unsubscribe

    def deliver(on_message, text):
        try:
            on_message(text)
        except Exception as exc:  # kept for the test to report, instead of the loop's log
            subscribe.raised.append((f"on_message({text!r})", exc))

    subscribe.raised = []
    call = learner.run("first_message", subscribe, "alerts", limit=60)
    callbacks_fine(
        call,
        subscribe,
        "'alarm 1', 'alarm 2', 'alarm 3' came at the same moment, 1 s",
        "Resolve the future once, with the first message, and ignore the later ones: "
        "`if not future.done(): future.set_result(message)`. " + ONCE,
    )
    got = call.result()
    if got != "alarm 1":
        raise CheckFailed(
            f"Called {call.text}; 'alarm 1', 'alarm 2', 'alarm 3' came at the same moment. It returned {got!r}.",
            "Resolve the future once, with the first message: `if not future.done(): future.set_result(message)`.",
        )
    if not seen["unsubscribed"]:
        raise CheckFailed(
            f"Called {call.text}. It returned without calling the unsubscribe function that subscribe returned.",
            "Keep `unsubscribe = subscribe(channel, on_message)` and call it in a `finally:`.",
        )


def test_first_message_unsubscribes_when_cancelled(learner):
    """first_message cancelled by its caller at 1 s, before any message, unsubscribes and ends cancelled"""
    seen = {"unsubscribed": 0}

    def subscribe(channel, on_message):
        def unsubscribe():
            seen["unsubscribed"] += 1

        return unsubscribe  # no message ever comes

    subscribe.raised = []
    text = "first_message(subscribe, 'alerts') as a task, cancelled by its caller at 1 s, before any message"
    call, how = run_cancelled(learner, "first_message", subscribe, "alerts", text)
    if how != "cancelled":
        raise CheckFailed(f"Called {call.text}. It {how}; expected it to end cancelled.", SWALLOWED)
    if not seen["unsubscribed"]:
        raise CheckFailed(
            f"Called {call.text}. It ended without calling the unsubscribe function that subscribe returned: "
            "the subscription lives on, and every later message still calls your on_message.",
            "Call unsubscribe in a `finally:` around `return await future`: it runs when the caller cancels you "
            "too (the CancelledError comes out of the await), not only after a message.",
        )


def pool():
    """submit(job): a concurrent.futures.Future whose result, the job's name in capitals,
    arrives 0.5 s of loop time later, as from a pool of worker threads."""

    def submit(job):
        future = concurrent.futures.Future()
        future.set_running_or_notify_cancel()
        asyncio.get_running_loop().call_later(0.5, future.set_result, job.upper())
        return future

    return submit


def test_pool_results_in_order_without_blocking(learner):
    """pool_results returns every job's result in the order of jobs, without blocking the loop"""
    call = learner.run(
        "pool_results", pool(), ["thumbnails", "report", "backup"], limit=60
    )
    got = call.result()
    if got != ["THUMBNAILS", "REPORT", "BACKUP"]:
        raise CheckFailed(
            f"Called {call.text}, where each job returns its name in capitals. It returned {got!r}.",
            "Submit every job, then `await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))`.",
        )


def test_pool_results_runs_jobs_together(learner):
    """pool_results submits every job before waiting: 3 jobs of 0.5 s are done at 0.5 s"""
    call = learner.run("pool_results", pool(), ["thumbnails", "report", "backup"], limit=60)
    call.result()
    if abs(call.loop_time - 0.5) > 1e-6:
        late = call.loop_time < 1.0 - 1e-6
        raise CheckFailed(
            f"Called {call.text}, where each job takes 0.5 s in the pool. It returned at {call.loop_time:g} s of "
            f"loop time; expected 0.5 s: every job submitted at once, and their results awaited together."
            + (
                " The results were all in at 0.5 s: your code looked at them only later (polling done())."
                if late
                else " The jobs ran one after another: each was submitted only once the one before had finished."
            ),
            "Submit every job first, `futures = [submit(job) for job in jobs]`, then await them all at once: "
            "`await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))`. It wakes the moment the last "
            "result is in, with no sleep and no polling.",
        )
