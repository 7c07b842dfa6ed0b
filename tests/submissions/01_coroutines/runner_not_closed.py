# expect-fail: test_run_greeting_closes_its_event_loop: but left 1 of the 1 event loop(s) it created open
# expect-pass: test_run_greeting_runs_greet_with_asyncio_run
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    runner = asyncio.Runner()
    return runner.run(greet(name, delay))
