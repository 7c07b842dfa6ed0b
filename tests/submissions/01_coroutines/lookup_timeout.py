# expect-fail: test_greet_user_greets_the_name_it_looked_up: It raised TimeoutError at coroutines.py:13
# expect-fail: test_greet_user_lets_a_lookup_error_out: it raised TimeoutError
# expect-pass: test_run_greeting_runs_greet_with_asyncio_run
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = await asyncio.wait_for(
        find_name(user_id), timeout=1
    )  # don't wait forever for a lookup
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
