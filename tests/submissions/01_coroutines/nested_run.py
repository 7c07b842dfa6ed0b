# expect-fail: test_greet_user_greets_the_name_it_looked_up: It called asyncio.run() while the event loop was already running
# expect-fail: test_greet_user_lets_a_lookup_error_out: Inside async def, await the coroutine instead
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: run_greeting must be a plain function (def, not async def)
# expect-pass: test_greet_waits_exactly_delay_seconds
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = asyncio.run(find_name(user_id))
    return asyncio.run(greet(name, delay))


async def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
