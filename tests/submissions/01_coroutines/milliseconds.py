# expect-fail: test_greet_waits_exactly_delay_seconds: Called greet('Ada', 2). It had not finished after 100 s of loop time
# expect-fail: test_greet_returns_the_greeting: Likely causes: a wait far longer than `delay`: asyncio.sleep takes seconds
# expect-fail: test_greet_user_looks_up_then_waits: The 1 call it made had finished by 1.5 s
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: The event loop it started had not finished after 60 s of loop time
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay * 1000)  # milliseconds, like setTimeout
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
