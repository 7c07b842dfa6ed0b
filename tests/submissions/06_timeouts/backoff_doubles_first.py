# expect-fail: test_retries_recover_after_failures: then it paused 2 s before attempt 2. Expected a pause of 1 s
# expect-fail: test_retries_stop_at_the_deadline[during-a-pause]: Expected a pause of 1 s
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
                async with asyncio.timeout(timeout):
                    return await fetch(item)
            except (TimeoutError, ConnectionError):
                pause *= 2  # doubled before the first pause: 2b, 4b, ...
                await asyncio.sleep(pause)


async def fetch_steps(fetch, steps, deadline):
    results = []
    try:
        async with asyncio.timeout(deadline):
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:
        pass
    return results
