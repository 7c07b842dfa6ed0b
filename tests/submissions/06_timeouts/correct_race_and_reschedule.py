# expect: pass
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    work = asyncio.create_task(fetch(item))
    alarm = asyncio.create_task(asyncio.sleep(seconds))
    try:
        await asyncio.wait({work, alarm}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        alarm.cancel()
        if not work.done():
            work.cancel()
        await asyncio.wait({work, alarm})
    if work.cancelled():
        return default
    return work.result()


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    attempt = 0
    while True:
        try:
            async with asyncio.timeout_at(min(loop.time() + timeout, end)):
                return await fetch(item)
        except (TimeoutError, ConnectionError):
            if loop.time() >= end:
                raise TimeoutError from None
        async with asyncio.timeout_at(end):
            await asyncio.sleep(backoff * 2**attempt)
        attempt += 1


async def fetch_steps(fetch, steps, deadline):
    results = []
    limit = asyncio.timeout(None)
    try:
        async with limit:
            limit.reschedule(asyncio.get_running_loop().time() + deadline)
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:
        if not limit.expired():
            raise
    return results
