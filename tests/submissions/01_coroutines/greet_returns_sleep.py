# expect-fail: test_greet_returns_the_greeting: greet is a plain function (def); it must be a coroutine function
# expect-fail: test_greet_waits_exactly_delay_seconds: `async def greet(...)`
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: but greet is a plain function (def), not a coroutine function (async def)
# expect-pass: test_greet_user_greets_the_name_it_looked_up
# expect-pass: test_greet_user_looks_up_then_waits
# visible-fail: test_greet_says_hello_after_the_delay: greet must be a coroutine function
import asyncio


def greet(name, delay):
    # asyncio.sleep can hand back a result: return its awaitable, the caller awaits it
    return asyncio.sleep(delay, result=f"Hello, {name}!")


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
