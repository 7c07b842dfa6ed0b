# expect-fail: test_fetch_all_lets_other_errors_out: it swallowed the RuntimeError
# expect-pass: test_fetch_all_handles_missing_items
# expect-pass: test_fetch_all_cancels_the_rest_when_one_fails
# asyncio.wait(FIRST_EXCEPTION), cancel the rest; only LookupErrors looked at: a RuntimeError
# is swallowed.
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
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    missing = [t.exception() for t in done if isinstance(t.exception(), LookupError)]
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
