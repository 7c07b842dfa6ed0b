# expect-fail: test_default_gives_up_at_the_timeout: It returned None: the TimeoutError was caught, but the default was not returned
# expect-fail: test_steps_stop_at_the_deadline[in-the-third-step]: It returned [] at the 7 s deadline: the results that had arrived in time, ['<login page>', '<profile page>'], were lost
# expect-pass: test_default_stops_the_slow_fetch
# expect-pass: test_steps_stop_at_the_deadline[in-the-first-step]
# expect-pass: test_retries_stop_at_the_deadline[during-a-pause]
import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    try:
        return await asyncio.wait_for(fetch(item), timeout=seconds)
    except asyncio.TimeoutError:
        print(f"{item}: no answer after {seconds} s, using the default")


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    async def attempts():
        pause = backoff
        while True:
            try:
                return await asyncio.wait_for(fetch(item), timeout)
            except (asyncio.TimeoutError, ConnectionError):
                await asyncio.sleep(pause)
                pause *= 2

    return await asyncio.wait_for(attempts(), deadline)


async def fetch_steps(fetch, steps, deadline):
    async def all_steps():
        results = []
        for step in steps:
            results.append(await fetch(step))
        return results

    try:
        return await asyncio.wait_for(all_steps(), deadline)
    except asyncio.TimeoutError:
        return []
