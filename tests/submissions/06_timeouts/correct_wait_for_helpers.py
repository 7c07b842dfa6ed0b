# expect: pass
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        async with asyncio.timeout(seconds):
            result = await fetch(item)
    except TimeoutError:
        result = default
    return result


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    async def keep_trying():
        pause = backoff
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
            except (asyncio.TimeoutError, ConnectionError) as error:
                print(f"attempt failed ({error!r}), next try in {pause} s")
            await asyncio.sleep(pause)
            pause *= 2

    return await asyncio.wait_for(keep_trying(), deadline)


async def fetch_steps(fetch, steps, deadline):
    results = []

    async def one_by_one():
        for step in steps:
            results.append(await fetch(step))

    try:
        await asyncio.wait_for(one_by_one(), deadline)
    except asyncio.TimeoutError:
        pass
    return results
