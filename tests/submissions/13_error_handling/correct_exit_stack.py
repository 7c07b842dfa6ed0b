# expect: pass
# fetch_settled: tasks and asyncio.wait, cancelled in a finally; fetch_all: gather, then
# cancel and collect by hand; upload: an AsyncExitStack closes the connection.
import asyncio
import contextlib


async def fetch_settled(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    try:
        await asyncio.wait(tasks)
    finally:
        for task in tasks:
            task.cancel()
    results, errors = {}, {}
    for item, task in zip(items, tasks):
        if task.exception() is None:
            results[item] = task.result()
        else:
            errors[item] = task.exception()
    return results, errors


async def fetch_all(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    try:
        return list(await asyncio.gather(*tasks)), []
    except Exception:  # noqa: BLE001, S110  the failures are sorted below
        pass
    finally:
        for task in tasks:
            task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [
        o
        for o in outcomes
        if isinstance(o, BaseException) and not isinstance(o, asyncio.CancelledError)
    ]
    others = [f for f in failures if not isinstance(f, LookupError)]
    if others:
        raise others[0]
    return None, failures


async def upload(connect, items):
    async with contextlib.AsyncExitStack() as stack:
        connection = await connect()
        stack.push_async_callback(connection.close)
        rejected = {}
        for item in items:
            try:
                await connection.send(item)
            except ValueError as error:
                rejected[item] = error
        return rejected
