# expect-fail: test_retries_recover_after_failures: It made 2 attempt(s): attempt 2 failed at 3.5 s, and then, at 3.5 s, it raised ConnectionError
# expect-pass: test_retries_return_the_first_answer
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
            except asyncio.TimeoutError:  # a refused connection is not retried
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
