# expect-fail: test_default_returns_a_quick_answer: The fetch answered at 1.25 s, but fetch_or_default returned only at 1.3 s
# expect-pass: test_default_gives_up_at_the_timeout
# expect-pass: test_default_stops_the_slow_fetch
# visible-fail: test_fetch_or_default_returns_a_quick_answer: though the fetch answered at 1.25 s
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(fetch(item))
    started = loop.time()
    while not task.done():
        if loop.time() - started >= seconds:
            task.cancel()
            return default
        await asyncio.sleep(0.1)  # look again every 100 ms
    return task.result()


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    pause = backoff
    async with asyncio.timeout(deadline):
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
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
