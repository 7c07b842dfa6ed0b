# expect-fail: test_upload_sends_in_order_and_closes: one send at a time
# expect-fail: test_upload_stops_on_a_broken_connection: never awaited
import asyncio


async def fetch_settled(fetch, items):
    outcomes = await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
    results, errors = {}, {}
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
    except* LookupError as missing_group:
        missing = list(missing_group.exceptions)
    if missing:
        return None, missing
    return [task.result() for task in tasks], []


async def upload(connect, items):
    connection = await connect()
    try:
        outcomes = await asyncio.gather(
            *(connection.send(item) for item in items), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, Exception) and not isinstance(outcome, ValueError):
                raise outcome
        return {i: o for i, o in zip(items, outcomes) if isinstance(o, ValueError)}
    finally:
        connection.close()
