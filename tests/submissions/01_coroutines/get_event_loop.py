# expect-fail: test_run_greeting_runs_greet_with_asyncio_run: It raised RuntimeError: There is no current event loop
# expect-fail: test_run_greeting_closes_its_event_loop: Don't look for a loop: `asyncio.run(coroutine)` creates one
# expect-pass: test_greet_user_greets_the_name_it_looked_up
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    # an older recipe: get "the" loop and run the coroutine on it
    return asyncio.get_event_loop().run_until_complete(greet(name, delay))
