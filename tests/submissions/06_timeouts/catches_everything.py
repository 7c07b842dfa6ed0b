# expect-fail: test_default_lets_other_errors_out: It returned '(cached forecast)' instead of raising: the exception was swallowed
# expect-pass: test_default_gives_up_at_the_timeout
# expect-pass: test_retries_recover_after_failures
# expect-pass: test_steps_stop_at_the_deadline[in-the-third-step]
# visible-fail: test_fetch_with_retries_lets_other_errors_out: retries a bug too
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), seconds)
    except Exception:  # timeout, or anything else: the caller gets the default
        return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    pause = backoff
    async with asyncio.timeout(deadline):
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
            except Exception:
                await asyncio.sleep(pause)
                pause *= 2


async def fetch_steps(fetch, steps, deadline):
    results = []
    try:
        async with asyncio.timeout(deadline):
            for step in steps:
                results.append(await fetch(step))
    except Exception:
        pass
    return results
