# expect-fail: test_greet_waits_exactly_delay_seconds: It made a blocking call, time.sleep, at coroutines.py:10
# expect-fail: test_greet_returns_the_greeting: Use `await asyncio.sleep(...)`, which pauses only this coroutine
# expect-fail: test_greet_user_looks_up_then_waits: blocking call, time.sleep
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: Called run_greeting('Ada', 2). It made a blocking call, time.sleep
import asyncio
import time


async def greet(name, delay):
    time.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
