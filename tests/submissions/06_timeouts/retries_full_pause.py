# expect-fail: test_retries_stop_at_the_deadline[during-an-attempt]: it kept going (pausing) until 13 s, 4 s after the 9 s deadline
# expect-fail: test_retries_stop_at_the_deadline[during-a-pause]: until 14 s, 2 s after the 12 s deadline
# expect-pass: test_retries_recover_after_failures
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        async with asyncio.timeout(seconds):
            return await fetch(item)
    except TimeoutError:
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + deadline
    pause = backoff
    while True:
        left = give_up_at - loop.time()
        if left <= 0:
            raise TimeoutError("deadline passed")
        try:
            return await asyncio.wait_for(fetch(item), min(timeout, left))
        except (TimeoutError, ConnectionError):
            await asyncio.sleep(pause)  # the whole pause, deadline or not
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
