# expect: pass
import asyncio


async def greet(name, delay):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_later(delay, done.set_result, f"Hello, {name}!")
    return await done


async def greet_user(find_name, user_id, delay):
    name = await asyncio.ensure_future(find_name(user_id))
    greeting = asyncio.create_task(greet(name, delay))
    return await greeting


def run_greeting(name, delay):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(greet(name, delay))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
