# expect-fail: test_greet_user_greets_the_name_it_looked_up: It returned a coroutine object, greet(...), instead of its result
# expect-fail: test_greet_user_looks_up_then_waits: greet(...) was called but never awaited, so it never ran
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: It returned a coroutine object instead of the greeting
# expect-fail: test_run_greeting_closes_its_event_loop: `return asyncio.run(greet(name, delay))`
# expect-pass: test_greet_waits_exactly_delay_seconds
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return greet(name, delay)  # "greet is async, so this returns the greeting later"


def run_greeting(name, delay):
    return greet(name, delay)
