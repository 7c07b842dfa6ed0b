# expect-fail: test_greet_waits_exactly_delay_seconds: At coroutines.py:11 (`asyncio.sleep(delay)`) the call is not awaited
# expect-fail: test_greet_user_looks_up_then_waits: it never waited the greeting's delay of 2 s
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: Its event loop ran for 0 s of loop time; expected exactly 2 s
# expect-pass: test_greet_returns_the_greeting
# expect-pass: test_greet_user_greets_the_name_it_looked_up
# expect-pass: test_run_greeting_closes_its_event_loop
import asyncio


async def greet(name, delay):
    asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
