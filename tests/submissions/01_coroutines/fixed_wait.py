# expect-fail: test_greet_waits_exactly_delay_seconds: Called greet('Ada', 2). It took 1 s of loop time; expected exactly 2 s
# expect-fail: test_greet_user_looks_up_then_waits: It took 2.5 s of loop time; expected exactly 3.5 s
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: Its event loop ran for 1 s of loop time; expected exactly 2 s
# expect-pass: test_greet_returns_the_greeting
# expect-pass: test_greet_user_greets_the_name_it_looked_up
import asyncio


async def greet(name, delay):
    await asyncio.sleep(1)  # "wait a moment"
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
