# expect: pass
import asyncio


async def fetch_settled(fetch, items):
    outcomes = await asyncio.gather(*map(fetch, items), return_exceptions=True)
    results = {i: o for i, o in zip(items, outcomes) if not isinstance(o, Exception)}
    errors = {i: o for i, o in zip(items, outcomes) if isinstance(o, Exception)}
    return results, errors


async def fetch_all(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:  # on a failure, and if we are cancelled ourselves
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
    failures = [t.exception() for t in tasks if not t.cancelled() and t.exception()]
    if not failures:
        return [task.result() for task in tasks], []
    missing, others = ExceptionGroup("fetch_all", failures).split(LookupError)
    if others is not None:
        raise others
    return None, list(missing.exceptions)


async def upload(connect, items):
    connection = await connect()
    rejected = {}
    for item in items:
        try:
            await connection.send(item)
        except ValueError as error:
            rejected[item] = error
        except (
            BaseException
        ):  # a broken connection, or we were cancelled: clean up, go on out
            await connection.close()
            raise
    await connection.close()
    return rejected
