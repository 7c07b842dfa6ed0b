# expect-fail: test_greet_returns_the_greeting: greet is a plain function (def); it must be a coroutine function: `async def greet(...)`
# expect-fail: test_greet_waits_exactly_delay_seconds: greet is a plain function (def)
# expect-fail: test_greet_user_greets_the_name_it_looked_up: greet_user is a plain function (def)
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: but greet is a plain function (def)
import asyncio
import time


def greet(name, delay):
    time.sleep(delay)
    return f"Hello, {name}!"


def greet_user(find_name, user_id, delay):
    name = asyncio.run(find_name(user_id))
    return greet(name, delay)


def run_greeting(name, delay):
    return greet(name, delay)
