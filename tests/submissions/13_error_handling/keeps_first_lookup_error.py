# expect-fail: test_fetch_all_handles_missing_items: missing holds only LookupError: no such item: fig; apple's LookupError is not in it
# expect-pass: test_fetch_settled_keeps_the_other_results
# Keeps only the first of the LookupErrors a TaskGroup collected.
"""Exercise 13, reference solution."""

import asyncio


async def fetch_settled(fetch, items):
    """Fetch every item at the same time; a failure costs only its own item.

    Return (results, errors): {item: result} for the fetches that succeeded and
    {item: exception} for those that failed.
    """
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
    """Fetch every item at the same time in a TaskGroup: all or nothing.

    Return (results, []) when every fetch succeeds, results in the order of items;
    (None, missing) when fetches failed with LookupError, missing holding those
    exceptions. Any other exception is let out.
    """
    missing = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(item)) for item in items]
    except* LookupError as found:
        missing.append(found.exceptions[0])
    if missing:
        return None, missing
    return [task.result() for task in tasks], []


async def upload(connect, items):
    """Send every item, in order, over one connection; close it whatever happens.

    A send that raises ValueError rejects its item: note it and go on. Return
    {item: exception} for the rejected items. Any other exception, or a
    cancellation, stops the upload and goes out, after the connection is closed.
    """
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
