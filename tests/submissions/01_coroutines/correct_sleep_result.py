# expect: pass
import asyncio


async def greet(name, delay):
    return await asyncio.sleep(delay, result=f"Hello, {name}!")


async def greet_user(find_name, user_id, delay):
    name = await find_name(user_id)
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


def run_greeting(name, delay):
    with asyncio.Runner() as runner:
        return runner.run(greet(name, delay))
