# expect-fail: test_run_greeting_closes_its_event_loop: It returned 'Hello, Grace!' but left 1 of the 1 event loop(s) it created open
# expect-fail: test_greet_user_greets_the_name_it_looked_up: It returned 'Hello, 42!': it greeted the user id, not the name
# expect-pass: test_run_greeting_runs_greet_with_asyncio_run
# expect-pass: test_greet_user_looks_up_then_waits
# expect-pass: test_greet_user_lets_a_lookup_error_out
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    await find_name(user_id)
    return await greet(user_id, delay)


def run_greeting(name, delay):
    loop = asyncio.new_event_loop()
    return loop.run_until_complete(greet(name, delay))
