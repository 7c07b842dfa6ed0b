# expect: pass
import asyncio


async def fetch_all(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    try:
        return [await task for task in tasks]
    finally:
        for task in tasks:
            task.cancel()


async def fetch_all_settled(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    results = []
    for task in tasks:
        try:
            results.append(await task)
        except Exception as error:
            results.append(error)
    return results
