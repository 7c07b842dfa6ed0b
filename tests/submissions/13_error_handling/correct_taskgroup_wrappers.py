# expect: pass
import asyncio


async def fetch_settled(fetch, items):
    results, errors = {}, {}

    async def one(item):
        try:
            results[item] = await fetch(item)
        except Exception as error:  # noqa: BLE001 — a failure costs only this item
            errors[item] = error

    async with asyncio.TaskGroup() as group:
        for item in items:
            group.create_task(one(item))
    return results, errors


async def fetch_all(fetch, items):
    missing = None
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(item)) for item in items]
    except* LookupError as missing_group:
        missing = list(missing_group.exceptions)
    if missing:
        return None, missing
    return [task.result() for task in tasks], []


async def upload(connect, items):
    rejected = {}
    connection = await connect()
    try:
        for item in items:
            try:
                await connection.send(item)
            except ValueError as error:
                rejected[item] = error
    finally:
        await connection.close()
    return rejected
