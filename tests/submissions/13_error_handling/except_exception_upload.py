# expect-fail: test_upload_stops_on_a_broken_connection: caught that error as if c had been rejected
# expect-pass: test_upload_lets_the_cancellation_out
# expect-pass: test_upload_closes_the_connection_when_cancelled
# expect-pass: test_upload_skips_rejected_items
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
        rejected = {}
        for item in items:
            try:
                await connection.send(item)
            except Exception as error:  # noqa: BLE001
                rejected[item] = error
        return rejected
    finally:
        await connection.close()
