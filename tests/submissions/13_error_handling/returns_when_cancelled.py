# expect-fail: test_upload_lets_the_cancellation_out: as if the upload had finished
# expect-pass: test_upload_closes_the_connection_when_cancelled
# expect-pass: test_upload_stops_on_a_broken_connection
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
    rejected = {}
    for item in items:
        try:
            await connection.send(item)
        except ValueError as error:
            rejected[item] = error
        except asyncio.CancelledError:
            break  # cancelled: stop sending, close, and report what was done
        except Exception:
            await connection.close()
            raise
    await connection.close()
    return rejected
