# expect-fail: test_fetch_settled_stops_when_cancelled: ran on without it
# expect-pass: test_fetch_settled_keeps_the_other_results
# expect-pass: test_fetch_settled_runs_fetches_together
# Reads every task's exception after asyncio.wait, but asyncio.wait does not cancel its
# tasks when fetch_settled is cancelled: they run on.
import asyncio


async def fetch_settled(fetch, items):
    tasks = {item: asyncio.create_task(fetch(item)) for item in items}
    await asyncio.wait(tasks.values())
    results, errors = {}, {}
    for item, task in tasks.items():
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
    except* LookupError as found:
        missing.extend(found.exceptions)
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
