# expect-fail: test_default_stops_the_slow_fetch: When it finished, at 3.5 s, 1 task(s) it started were still running (fetch('weather')): the fetch it gave up on was never cancelled
# expect-fail: test_retries_recover_after_failures: Attempt 1 (started at 0 s) was still running when attempt 2 started at 3 s
# expect-fail: test_retries_stop_at_the_deadline[during-a-pause]: the attempt that timed out was never cancelled
# expect-fail: test_steps_stop_at_the_deadline[in-the-third-step]: the step in progress at the deadline, inbox, was never cancelled
# expect-fail: test_steps_stop_at_the_deadline[in-the-first-step]: (fetch('login'))
# expect-pass: test_default_gives_up_at_the_timeout
# expect-pass: test_default_returns_a_quick_answer
# expect-pass: test_retries_return_the_first_answer
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    task = asyncio.ensure_future(fetch(item))
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    return default  # gave up waiting... but the fetch is still going


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + deadline
    pause = backoff
    while True:
        task = asyncio.ensure_future(fetch(item))
        done, _ = await asyncio.wait({task}, timeout=min(timeout, give_up_at - loop.time()))
        if task in done and task.exception() is None:
            return task.result()
        if loop.time() + pause >= give_up_at:
            await asyncio.sleep(give_up_at - loop.time())
            raise TimeoutError("no answer before the deadline")
        await asyncio.sleep(pause)
        pause *= 2


async def fetch_steps(fetch, steps, deadline):
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + deadline
    results = []
    for step in steps:
        task = asyncio.ensure_future(fetch(step))
        done, _ = await asyncio.wait({task}, timeout=give_up_at - loop.time())
        if task not in done:
            break
        results.append(task.result())
    return results
