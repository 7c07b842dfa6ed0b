"""Exercise 01, reference solution."""

import asyncio


async def greet(name, delay):
    """Wait `delay` seconds without blocking the event loop, then return "Hello, <name>!"."""
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def greet_user(find_name, user_id, delay):
    """Look up the user's name with find_name, then greet that name after `delay` seconds."""
    name = await find_name(user_id)
    return await greet(name, delay)


def run_greeting(name, delay):
    """Plain (sync) code: run greet(name, delay) on a new event loop and return its greeting."""
    return asyncio.run(greet(name, delay))
