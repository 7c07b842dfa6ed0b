# expect-fail: test_steps_stop_at_the_deadline[in-the-third-step]: It raised TimeoutError at the 7 s deadline; expected it to return the results that arrived in time
# expect-fail: test_steps_stop_at_the_deadline[in-the-first-step]: It raised TimeoutError at the 1.5 s deadline
# expect-pass: test_steps_run_one_after_another
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), seconds)
    except TimeoutError:
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    pause = backoff
    async with asyncio.timeout(deadline):
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
            except (TimeoutError, ConnectionError):
                await asyncio.sleep(pause)
                pause *= 2


async def fetch_steps(fetch, steps, deadline):
    results = []
    async with asyncio.timeout(deadline):  # nothing catches the TimeoutError
        for step in steps:
            results.append(await fetch(step))
    return results
