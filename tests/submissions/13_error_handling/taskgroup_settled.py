# expect-fail: test_fetch_settled_keeps_the_other_results: were cancelled (a TaskGroup does that
# expect-pass: test_fetch_settled_runs_fetches_together
# expect-pass: test_fetch_settled_stops_when_cancelled
import asyncio


async def fetch_settled(fetch, items):
    results, errors = {}, {}
    try:
        async with asyncio.TaskGroup() as group:
            tasks = {item: group.create_task(fetch(item)) for item in items}
    except* Exception:  # noqa: BLE001, S110  the failures are read from the tasks below
        pass
    for item, task in tasks.items():
        if task.cancelled():
            continue
        if task.exception() is not None:
            errors[item] = task.exception()
        else:
            results[item] = task.result()
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
