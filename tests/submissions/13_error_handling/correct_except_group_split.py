# expect: pass
import asyncio


async def fetch_settled(fetch, items):
    outcomes = await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
    results, errors = {}, {}
    for item, outcome in zip(items, outcomes):
        (errors if isinstance(outcome, Exception) else results)[item] = outcome
    return results, errors


async def fetch_all(fetch, items):
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(item)) for item in items]
    except ExceptionGroup as group_error:
        missing, rest = group_error.split(LookupError)
        if rest is not None:
            raise rest
        return None, list(missing.exceptions)
    return [task.result() for task in tasks], []


async def upload(connect, items):
    connection = await connect()
    try:
        rejected = {}
        for item in items:
            try:
                await connection.send(item)
            except ValueError as error:
                rejected[item] = error
            except asyncio.CancelledError:
                print("upload cancelled while sending", item)
                raise
        return rejected
    finally:
        await connection.close()
