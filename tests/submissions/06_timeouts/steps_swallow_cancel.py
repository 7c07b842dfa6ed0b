# expect-fail: test_steps_can_be_cancelled_by_the_caller: it caught the CancelledError meant for it and swallowed it
# expect-pass: test_steps_stop_at_the_deadline
# expect-pass: test_steps_run_one_after_another
# visible-fail: test_fetch_steps_can_be_cancelled_by_the_caller: it caught the CancelledError meant for it and swallowed it
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
                await asyncio.sleep(pause)
                pause *= 2


async def fetch_steps(fetch, steps, deadline):
    results = []
    async with asyncio.timeout(deadline):
        for step in steps:
            try:
                results.append(await fetch(step))
            except (
                asyncio.CancelledError
            ):  # the deadline... or anyone cancelling fetch_steps
                break
    return results
