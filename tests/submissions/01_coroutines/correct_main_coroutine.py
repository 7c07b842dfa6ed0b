# expect: pass
import asyncio


async def greet(name, delay):
    try:
        async with asyncio.timeout(delay):
            await asyncio.Event().wait()  # nothing sets it: the timeout ends the wait
    except TimeoutError:
        pass
    return "Hello, " + name + "!"


async def greet_user(find_name, user_id, delay):
    async with asyncio.TaskGroup() as group:
        lookup = group.create_task(find_name(user_id))
    return await greet(lookup.result(), delay)


def run_greeting(name, delay):
    async def main():
        return await greet(name, delay)

    return asyncio.run(main())
