# expect-fail: test_fetch_settled_keeps_the_other_results: it has no entry for fig
# expect-fail: test_fetch_settled_runs_fetches_together: expected ({'h': 'result of h'
# Pairs the items with asyncio.as_completed, which gives outcomes in the order they finish.
import asyncio


async def fetch_settled(fetch, items):
    results, errors = {}, {}
    for item, next_done in zip(items, asyncio.as_completed([fetch(i) for i in items])):
        try:
            results[item] = await next_done
        except Exception as error:  # noqa: BLE001
            errors[item] = error
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
