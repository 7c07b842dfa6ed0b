# expect: pass
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    task = asyncio.create_task(fetch(item))
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    task.cancel()  # it stops at the loop's next turn
    return default


async def _attempt(fetch, item, timeout):
    task = asyncio.create_task(fetch(item))
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if task not in done:
        raise TimeoutError
    return task.result()


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    loop = asyncio.get_running_loop()
    async with asyncio.timeout_at(loop.time() + deadline):
        for attempt in range(1_000):
            try:
                return await _attempt(fetch, item, timeout)
            except (TimeoutError, ConnectionError):
                await asyncio.sleep(backoff * 2**attempt)
    raise TimeoutError


async def fetch_steps(fetch, steps, deadline):
    results = []
    timer = asyncio.timeout(None)
    try:
        async with timer:
            timer.reschedule(asyncio.get_running_loop().time() + deadline)
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:
        if not timer.expired():
            raise
    return results
