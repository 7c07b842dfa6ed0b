# expect: pass
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), timeout=seconds)
    except asyncio.TimeoutError:
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + deadline
    pause = backoff
    while True:
        left = give_up_at - loop.time()
        try:
            return await asyncio.wait_for(fetch(item), min(timeout, left))
        except (asyncio.TimeoutError, ConnectionError):
            if loop.time() >= give_up_at:
                break
        left = give_up_at - loop.time()
        if pause >= left:
            await asyncio.sleep(left)
            break
        await asyncio.sleep(pause)
        pause *= 2
    raise TimeoutError(f"no answer for {item!r} within {deadline} s")


async def fetch_steps(fetch, steps, deadline):
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + deadline
    results = []
    for step in steps:
        try:
            results.append(await asyncio.wait_for(fetch(step), give_up_at - loop.time()))
        except asyncio.TimeoutError:
            break
    return results
