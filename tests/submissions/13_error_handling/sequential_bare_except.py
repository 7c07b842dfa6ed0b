# expect-fail: test_fetch_settled_runs_fetches_together: they ran one after another
# expect-fail: test_fetch_settled_stops_when_cancelled: went on to fetch b and a
# expect-pass: test_fetch_settled_keeps_the_other_results
import asyncio
import sys


async def fetch_settled(fetch, items):
    results, errors = {}, {}
    for item in items:
        try:
            results[item] = await fetch(item)
        except:  # noqa: E722  "whatever goes wrong, fetch_settled must not crash"
            errors[item] = sys.exc_info()[1]
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
