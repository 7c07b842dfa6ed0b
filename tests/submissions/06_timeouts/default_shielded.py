# expect-fail: test_default_stops_the_slow_fetch: the fetch it gave up on was never cancelled
# expect-pass: test_default_gives_up_at_the_timeout
# expect-pass: test_default_returns_a_quick_answer
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(
            asyncio.shield(fetch(item)), seconds
        )  # the fetch runs on
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
    try:
        async with asyncio.timeout(deadline):
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:
        pass
    return results
