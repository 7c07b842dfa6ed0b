# expect-fail: test_greet_user_lets_a_lookup_error_out: it raised ValueError: could not greet user 404 at coroutines.py:15
# expect-pass: test_greet_user_looks_up_then_waits
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    try:
        name = await find_name(user_id)
    except Exception as error:
        raise ValueError(f"could not greet user {user_id}") from error
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
