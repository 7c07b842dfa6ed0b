"""Visible tests of exercise 01. Run them with: pytest exercises/01_coroutines

greet and greet_user run on a *virtual-time* event loop: asyncio.sleep(2) there takes
exactly 2.0 s of loop time and no real time, so how long a coroutine waited is an exact,
instant measurement. `find_name` is a Probe: a fake async lookup that takes 1.5 s of loop
time and records every call.
"""

import asyncio
import inspect
import traceback

from grader import expect, messages
from grader.failure import CheckFailed
from grader.probes import Probe


def test_greet_says_hello_after_the_delay(learner):
    """greet("Ada", 2) returns "Hello, Ada!" after exactly 2 s of loop time, greet("Grace", 0.5) after 0.5 s"""
    waited_right = None  # an earlier call that waited its whole delay
    for name, delay in [("Ada", 2), ("Grace", 0.5)]:
        call = learner.run("greet", name, delay, plain_def="Write `async def greet(name, delay):` and wait inside it with `await asyncio.sleep(delay)`.")
        greeting = call.result()
        wanted = f"Hello, {name}!"
        if not expect.same(greeting, wanted):
            raise CheckFailed(f"Called {call.text}. It returned {greeting!r}; expected {wanted!r}.")
        if call.loop_time <= expect.EXACT and waited_right:
            raise CheckFailed(
                f"Called {call.text}. It returned at once, after 0 s of loop time, though {waited_right} waited its "
                f"whole delay; expected exactly {delay:g} s: the fraction of a second was lost (rounded down to "
                "whole seconds?).",
                "Wait once, for the delay exactly as given: `await asyncio.sleep(delay)` takes fractions of a second too.",
            )
        if call.loop_time <= expect.EXACT:
            raise CheckFailed(
                f"Called {call.text}. It returned at once, after 0 s of loop time; expected exactly {delay:g} s.",
                "Wait with `await asyncio.sleep(delay)`: without the await, nothing waits.",
            )
        if abs(call.loop_time - delay) > expect.EXACT:
            raise CheckFailed(
                f"Called {call.text}. It took {call.loop_time:g} s of loop time; expected exactly {delay:g} s: greet "
                "waits `delay` seconds, no more and no less.",
                "Wait once, for the delay you were given: `await asyncio.sleep(delay)` (it takes fractions of a "
                "second too).",
            )
        waited_right = call.text


def test_greet_user_looks_up_the_name_then_greets(learner):
    """greet_user(find_name, 7, 2) awaits find_name(7), then greets "Ada": 1.5 s + 2 s of loop time"""
    find_name = Probe("find_name", delay=1.5, result={7: "Ada"}.__getitem__)
    call = learner.run("greet_user", find_name, 7, 2)
    if find_name.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called find_name(7) but never awaited it, so the lookup never ran.",
            "`name = await find_name(user_id)`: await runs the lookup and gives you the name.",
        )
    greeting = call.result()
    if find_name.calls != [7]:
        raise CheckFailed(f"Called {call.text}. find_name was called with {find_name.calls}; expected one call, find_name(7).")
    if greeting != "Hello, Ada!":
        raise CheckFailed(
            f"Called {call.text}, where find_name(7) returns 'Ada'. It returned {greeting!r}; expected 'Hello, Ada!'."
        )
    if abs(call.loop_time - 3.5) > expect.EXACT:
        raise CheckFailed(
            f"Called {call.text}. It took {call.loop_time:g} s of loop time; expected exactly 3.5 s: "
            "the lookup (1.5 s), then the greeting's 2 s.",
            "`name = await find_name(user_id)`, then `return await greet(name, delay)`.",
        )


def test_greet_user_lets_a_lookup_error_out(learner):
    """greet_user raises the exception of a failing find_name: there is no user 404"""
    error = LookupError("no user with id 404")
    find_name = Probe("find_name", delay=1.5, errors={404: error})
    call = learner.run("greet_user", find_name, 404, 2)
    expect.raised(
        call,
        error,
        404,
        advice="An exception raised inside an awaited coroutine comes out of the `await`, as from a plain call. "
        "Don't catch it: the caller must learn that there is no such user.",
    )


def test_run_greeting_runs_greet_from_plain_code(learner):
    """run_greeting("Ada", 0), a plain function, returns the greeting of greet("Ada", 0)"""
    run_greeting = learner.function("run_greeting")
    if inspect.iscoroutinefunction(run_greeting):
        raise CheckFailed("run_greeting must be a plain function (def, not async def): plain code starts the event loop.")
    policy, loops = asyncio.get_event_loop_policy(), []
    make = policy.new_event_loop

    def new_event_loop():  # every event loop run_greeting creates is kept here, to see that it is closed
        loops.append(make())
        return loops[-1]

    policy.new_event_loop = new_event_loop
    try:
        greeting = run_greeting("Ada", 0)  # no wait: this one runs on a real event loop
    except Exception as error:
        mine = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in learner.files]
        if isinstance(error, NotImplementedError) and mine and mine[-1].name in learner.exercise.functions:
            raise CheckFailed(messages.NOT_IMPLEMENTED.format(function=mine[-1].name, readme=learner.exercise.readme)) from None
        where = f" at {learner.exercise.filename}:{mine[-1].lineno} (`{mine[-1].line}`)" if mine else ""
        raise CheckFailed(
            f"Called run_greeting('Ada', 0). It raised {type(error).__name__}: {error}{where}.",
            "`return asyncio.run(greet(name, delay))`.",
        ) from None
    finally:
        del policy.new_event_loop
        left_open = [loop for loop in loops if not loop.is_closed()]
        for loop in left_open:
            loop.close()
    if inspect.iscoroutine(greeting):
        greeting.close()
        raise CheckFailed(
            "Called run_greeting('Ada', 0). It returned a coroutine object: calling greet(...) only creates "
            "it, and nothing in it ran.",
            "Hand it to an event loop: `return asyncio.run(greet(name, delay))`.",
        )
    if greeting != "Hello, Ada!":
        raise CheckFailed(f"Called run_greeting('Ada', 0). It returned {greeting!r}; expected 'Hello, Ada!'.")
    if left_open:
        raise CheckFailed(
            f"Called run_greeting('Ada', 0). It returned {greeting!r} but left the event loop it created open: "
            "an open loop holds on to its resources until someone closes it.",
            "`return asyncio.run(greet(name, delay))`: asyncio.run creates a fresh loop, runs the coroutine, "
            "then closes the loop, every time. Don't manage a loop by hand (new_event_loop, run_until_complete).",
        )
