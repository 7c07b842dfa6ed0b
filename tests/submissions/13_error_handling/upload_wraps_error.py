# expect-fail: test_upload_stops_on_a_broken_connection: a new exception, instead of letting the ConnectionResetError itself out
# expect-pass: test_upload_skips_rejected_items
# expect-pass: test_upload_lets_the_cancellation_out
# Turns a broken connection into an exception of its own.
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
            except Exception:  # noqa: BLE001
                raise RuntimeError(f"upload failed at {item}") from None
        return rejected
    finally:
        await connection.close()
