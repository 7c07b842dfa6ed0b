# expect: pass
# fetch_settled: a list of tasks gathered with return_exceptions; fetch_all: a TaskGroup whose
# group is split by hand; upload: an @asynccontextmanager opens and closes the connection.
import asyncio
import contextlib


async def fetch_settled(fetch, items):
    tasks = [asyncio.ensure_future(fetch(item)) for item in items]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    results, errors = {}, {}
    for item, outcome in zip(items, outcomes):
        if isinstance(outcome, BaseException):
            errors[item] = outcome
        else:
            results[item] = outcome
    return results, errors


async def fetch_all(fetch, items):
    try:
        async with asyncio.TaskGroup() as group:
            tasks = {item: group.create_task(fetch(item)) for item in items}
    except* LookupError as missing_group:
        return_value = None, list(missing_group.exceptions)
    else:
        return_value = [tasks[item].result() for item in items], []
    return return_value


@contextlib.asynccontextmanager
async def opened(connect):
    connection = await connect()
    try:
        yield connection
    finally:
        await connection.close()


async def upload(connect, items):
    rejected = {}
    async with opened(connect) as connection:
        for item in items:
            try:
                await connection.send(item)
            except ValueError as error:
                rejected[item] = error
    return rejected
