# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: Called run_greeting('Ada', 2). It returned None; expected 'Hello, Ada!'
# expect-pass: test_run_greeting_closes_its_event_loop
# expect-pass: test_greet_waits_exactly_delay_seconds
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    asyncio.run(greet(name, delay))
