# expect-fail: test_greet_user_greets_the_name_it_looked_up: It ran find_name(...) on another event loop
# expect-fail: test_greet_user_lets_a_lookup_error_out: await the lookup there
# expect-pass: test_greet_waits_exactly_delay_seconds
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    # asyncio.run is refused inside a running loop, so run the lookup in a thread
    name = await asyncio.to_thread(asyncio.run, find_name(user_id))
    return await greet(name, delay)


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
