# expect-fail: test_greet_user_lets_a_lookup_error_out: It returned 'Hello, stranger!' instead of raising: the exception was swallowed
# expect-pass: test_greet_user_greets_the_name_it_looked_up
# expect-pass: test_greet_user_looks_up_then_waits
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = "stranger"
    try:
        name = await find_name(user_id)
    finally:
        return await greet(name, delay)  # noqa: B012  (a return in finally drops the lookup's error)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
