# expect-fail: test_retries_recover_after_failures: Attempt 2 failed at 3.5 s; then it paused 1 s before attempt 3. Expected a pause of 2 s
# expect-fail: test_retries_stop_at_the_deadline[during-an-attempt]: Expected a pause of 2 s
# expect-pass: test_retries_return_the_first_answer
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), seconds)
    except TimeoutError:
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    async with asyncio.timeout(deadline):
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
            except (TimeoutError, ConnectionError):
                await asyncio.sleep(backoff)  # the same pause every time


async def fetch_steps(fetch, steps, deadline):
    results = []
    try:
        async with asyncio.timeout(deadline):
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:
        pass
    return results
