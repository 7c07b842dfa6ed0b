# expect-fail: test_fetch_all_cancels_the_rest_when_one_fails: still ran to the end
# expect-pass: test_fetch_all_handles_missing_items
# expect-pass: test_fetch_all_lets_other_errors_out
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
    outcomes = await asyncio.gather(
        *(fetch(item) for item in items), return_exceptions=True
    )
    failures = [o for o in outcomes if isinstance(o, Exception)]
    others = [f for f in failures if not isinstance(f, LookupError)]
    if others:
        raise others[0]
    if failures:
        return None, failures
    return outcomes, []


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
