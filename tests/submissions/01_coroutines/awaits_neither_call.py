# expect-fail: test_greet_user_greets_the_name_it_looked_up: Before that, find_name(42) was called but never awaited either
# expect-fail: test_greet_user_looks_up_then_waits: `name = await find_name(...)`, then `return await greet(...)`
# Neither call awaited: greet_user returns greet's coroutine, holding find_name's.

import asyncio


async def greet(name, delay):
    """Wait `delay` seconds without blocking the event loop, then return "Hello, <name>!"."""
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    """Look up the user's name with find_name, then greet that name after `delay` seconds."""
    name = find_name(user_id)
    return greet(name, delay)


def run_greeting(name, delay):
    """Plain (sync) code: run greet(name, delay) on a new event loop and return its greeting."""
    return asyncio.run(greet(name, delay))
