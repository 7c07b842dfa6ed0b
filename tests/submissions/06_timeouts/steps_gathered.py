# expect-fail: test_steps_run_one_after_another: It ran 4 steps at the same time
# expect-fail: test_steps_stop_at_the_deadline[in-the-third-step]: expected them one after another
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
            except (TimeoutError, ConnectionError):
                await asyncio.sleep(pause)
                pause *= 2


async def fetch_steps(fetch, steps, deadline):
    tasks = [asyncio.create_task(fetch(step)) for step in steps]  # faster all at once?
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    return [task.result() for task in tasks if task in done]
