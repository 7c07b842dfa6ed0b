# expect-fail: test_retries_stop_at_the_deadline[during-an-attempt]: It was still running at 100 s of loop time, 91 s after the 9 s deadline
# expect-fail: test_retries_stop_at_the_deadline[during-a-pause]: nothing in it ends the retries when the deadline comes
# expect-pass: test_retries_recover_after_failures
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), seconds)
    except TimeoutError:
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    pause = backoff
    while True:  # it will answer some day
        try:
            return await asyncio.wait_for(fetch(item), timeout)
        except (TimeoutError, ConnectionError):
            await asyncio.sleep(pause)
            pause *= 2


async def fetch_steps(fetch, steps, deadline):
    results = []
    try:
        async with asyncio.timeout(deadline):
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:
        pass
    return results
