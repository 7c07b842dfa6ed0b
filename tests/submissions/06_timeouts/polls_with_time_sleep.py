# expect-fail: test_default_returns_a_quick_answer: It made a blocking call, time.sleep, at timeouts.py:16
# expect-fail: test_default_gives_up_at_the_timeout: blocking call, time.sleep
# expect-fail: test_retries_recover_after_failures: It made a blocking call, time.sleep, at timeouts.py:28
# expect-pass: test_steps_stop_at_the_deadline[in-the-third-step]
import asyncio
import time


async def fetch_or_default(fetch, item, seconds, default):
    task = asyncio.create_task(fetch(item))
    started = time.monotonic()
    while not task.done():
        if time.monotonic() - started > seconds:
            task.cancel()
            return default
        time.sleep(0.05)  # check again in a moment
        await asyncio.sleep(0)
    return task.result()


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    pause = backoff
    async with asyncio.timeout(deadline):
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
            except (TimeoutError, ConnectionError):
                time.sleep(pause)  # back off before the next try
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
