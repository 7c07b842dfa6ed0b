# expect: pass
import asyncio


async def fetch_all(fetch, items):
    if not items:
        return []
    tasks = [asyncio.ensure_future(fetch(item)) for item in items]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    for task in tasks:
        if task in done and task.exception() is not None:
            raise task.exception()
    return [task.result() for task in tasks]


async def fetch_all_settled(fetch, items):
    if not items:
        return []
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    await asyncio.wait(tasks)
    return [task.exception() or task.result() for task in tasks]
