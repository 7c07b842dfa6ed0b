# expect-fail: test_greet_waits_exactly_delay_seconds: It started a task (sleep()) and did not wait for it to finish
# expect-fail: test_greet_user_looks_up_then_waits: it never waited the greeting's delay of 2 s
# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: Its event loop ran for 0 s of loop time
# expect-pass: test_greet_returns_the_greeting
import asyncio


async def greet(name, delay):
    asyncio.create_task(asyncio.sleep(delay))  # schedule the wait
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
