# expect-fail: test_retries_stop_at_the_deadline[during-an-attempt]: Attempt 3 started at 7 s and was cut off at 10 s, past the 9 s deadline
# expect-fail: test_retries_stop_at_the_deadline[during-a-pause]: it kept going (pausing) until 14 s, 2 s after the 12 s deadline
# expect-fail: test_steps_stop_at_the_deadline[in-the-third-step]: It returned at 9 s, 2 s after the 7 s deadline
# expect-pass: test_retries_recover_after_failures
# expect-pass: test_default_gives_up_at_the_timeout
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), seconds)
    except TimeoutError:
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    loop = asyncio.get_running_loop()
    started = loop.time()
    pause = backoff
    while loop.time() - started < deadline:  # only looked at before each attempt
        try:
            return await asyncio.wait_for(fetch(item), timeout)
        except (TimeoutError, ConnectionError):
            await asyncio.sleep(pause)
            pause *= 2
    raise TimeoutError(f"{item}: no answer within {deadline} s")


async def fetch_steps(fetch, steps, deadline):
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = []
    for step in steps:
        if loop.time() - started >= deadline:
            break
        results.append(await fetch(step))
    return results
