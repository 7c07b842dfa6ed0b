# expect-fail: test_fetch_settled_stops_when_cancelled: ran on without it
# expect-pass: test_fetch_settled_keeps_the_other_results
# expect-pass: test_fetch_settled_runs_fetches_together
# Right pairs (each wrapper returns its item), but as_completed does not cancel the fetches
# when fetch_settled is cancelled.
import asyncio


async def fetch_settled(fetch, items):
    async def one(item):
        try:
            return item, await fetch(item), None
        except Exception as error:  # noqa: BLE001
            return item, None, error

    results, errors = {}, {}
    for next_done in asyncio.as_completed([one(item) for item in items]):
        item, result, error = await next_done
        if error is None:
            results[item] = result
        else:
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
