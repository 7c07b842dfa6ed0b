# expect-fail: test_fetch_settled_stops_when_cancelled: returned ({}, {}) as if it had finished
# expect-pass: test_fetch_settled_keeps_the_other_results
# expect-pass: test_fetch_settled_runs_fetches_together
# "Cancelled? Return what we have": the caller never learns it was cancelled.
import asyncio


async def fetch_settled(fetch, items):
    results, errors = {}, {}
    try:
        outcomes = await asyncio.gather(
            *(fetch(item) for item in items), return_exceptions=True
        )
    except asyncio.CancelledError:
        return results, errors
    for item, outcome in zip(items, outcomes):
        if isinstance(outcome, Exception):
            errors[item] = outcome
        else:
            results[item] = outcome
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
