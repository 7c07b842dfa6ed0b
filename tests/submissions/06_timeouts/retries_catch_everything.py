# expect-fail: test_retries_let_other_errors_out: It tried again (5 attempts in all) and at 30 s raised TimeoutError
# expect-pass: test_retries_recover_after_failures
# expect-pass: test_retries_stop_at_the_deadline
# visible-fail: test_fetch_with_retries_lets_other_errors_out: Saw 4 attempts, then TimeoutError raised at 10 s
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
            except (
                Exception
            ):  # retries a bug (ValueError, KeyError) too, until the deadline
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
