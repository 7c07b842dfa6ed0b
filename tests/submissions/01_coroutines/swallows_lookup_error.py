# expect-fail: test_greet_user_lets_a_lookup_error_out: It returned 'Hello, stranger!' instead of raising: the exception was swallowed
# expect-pass: test_greet_user_greets_the_name_it_looked_up
# expect-pass: test_greet_user_looks_up_then_waits
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    try:
        name = await find_name(user_id)
    except Exception:
        name = "stranger"
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
