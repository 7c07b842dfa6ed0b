# expect: pass
import asyncio


async def fetch_all(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(item)) for item in items]
    return [task.result() for task in tasks]


async def _settle(fetch, item):
    try:
        return await fetch(item)
    except Exception as error:
        return error


async def fetch_all_settled(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_settle(fetch, item)) for item in items]
    return [task.result() for task in tasks]
