# expect: pass
import asyncio


async def greet(name, delay):
    greeting = "Hello, " + name + "!"
    await asyncio.sleep(delay / 2)
    await asyncio.sleep(delay / 2)
    return greeting


async def greet_user(find_name, user_id, delay):
    lookup = asyncio.create_task(find_name(user_id))
    name = await lookup
    greeting = await greet(name, delay)
    return greeting


def run_greeting(name, delay):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(greet(name, delay))
    finally:
        loop.close()
