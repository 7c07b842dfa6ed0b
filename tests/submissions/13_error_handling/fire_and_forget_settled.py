# expect-fail: test_fetch_settled_keeps_the_other_results: Task exception was never retrieved
# expect-fail: test_fetch_settled_stops_when_cancelled: ran on without it
# expect-pass: test_fetch_settled_runs_fetches_together
import asyncio


async def fetch_settled(fetch, items):
    results, errors = {}, {}

    async def store(item):
        results[item] = await fetch(item)

    tasks = [asyncio.create_task(store(item)) for item in items]  # fire and forget
    await asyncio.wait(tasks)  # waits, but never reads what went wrong
    for item in items:
        if item not in results:
            errors[item] = RuntimeError(f"fetch of {item} failed")
    return results, errors


async def fetch_all(fetch, items):
    missing = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(item)) for item in items]
    except* LookupError as missing_group:
        missing = list(missing_group.exceptions)
    if missing:
        return None, missing
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
        return rejected
    finally:
        await connection.close()
