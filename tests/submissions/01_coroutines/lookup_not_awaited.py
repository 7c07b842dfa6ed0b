# expect-fail: test_greet_user_greets_the_name_it_looked_up: It called find_name(42) but never awaited it, so the lookup never ran
# expect-fail: test_greet_user_looks_up_then_waits: `find_name(user_id)` on its own is a coroutine object, not the name
# expect-fail: test_greet_user_lets_a_lookup_error_out: It called find_name(404) but never awaited it
# expect-pass: test_greet_waits_exactly_delay_seconds
# expect-pass: test_run_greeting_runs_greet_with_asyncio_run
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    name = find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
