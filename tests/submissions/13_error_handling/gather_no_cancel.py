# expect-fail: test_fetch_all_cancels_the_rest_when_one_fails: running, never cancelled
# expect-fail: test_fetch_all_handles_missing_items: missing holds only
# expect-fail: test_fetch_all_lets_other_errors_out: it swallowed the RuntimeError
# expect-pass: test_fetch_all_returns_every_result
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
    try:
        return await asyncio.gather(*(fetch(item) for item in items)), []
    except LookupError as missing:
        return None, [missing]


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
