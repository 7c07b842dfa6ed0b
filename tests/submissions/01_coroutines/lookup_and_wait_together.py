# expect-fail: test_greet_user_looks_up_then_waits: It took 2 s of loop time; expected exactly 3.5 s: the lookup (1.5 s), then the greeting's delay
# expect-pass: test_greet_user_greets_the_name_it_looked_up
# expect-pass: test_greet_user_lets_a_lookup_error_out
import asyncio


async def greet(name, delay):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    # "faster": wait the delay while the lookup runs
    name, _ = await asyncio.gather(find_name(user_id), asyncio.sleep(delay))
    return f"Hello, {name}!"


def run_greeting(name, delay):
    return asyncio.run(greet(name, delay))
