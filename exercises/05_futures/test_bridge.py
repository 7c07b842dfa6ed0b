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
    """start(request, on_done): calls on_done(error, result) `delay` s of loop time later."""

    def start(request, on_done):
        if error is None:
            asyncio.get_running_loop().call_later(
                delay, on_done, None, f"reply to {request}"
            )
        else:
            asyncio.get_running_loop().call_later(delay, on_done, error, None)

    return start


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
    call = learner.run(
        "from_callback",
        callback_api(1.0, error),
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


def test_first_message_returns_the_first_and_unsubscribes(learner):
    """first_message returns the first of 3 messages sent at once, and unsubscribes"""
    seen = {"subscribed": 0, "unsubscribed": 0}

    def subscribe(channel, on_message):
        seen["subscribed"] += 1
        loop = asyncio.get_running_loop()
        for text in ("alarm 1", "alarm 2", "alarm 3"):
            loop.call_later(1.0, on_message, text)

        def unsubscribe():
            seen["unsubscribed"] += 1

        return unsubscribe

    call = learner.run("first_message", subscribe, "alerts", limit=60)
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
