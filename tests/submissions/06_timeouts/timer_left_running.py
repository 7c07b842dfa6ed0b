# expect-fail: test_default_returns_a_quick_answer: 1 task(s) it started were still running (sleep)
# expect-pass: test_default_gives_up_at_the_timeout
# A timer task raced against the fetch and left running when the fetch wins: judged apart, the
# learner's own task is seen by the check as in one process (red-team, judging apart).
import asyncio
from asyncio import FIRST_COMPLETED


async def fetch_or_default(fetch, item, seconds, default):
    fetch_task = asyncio.ensure_future(fetch(item))
    timer = asyncio.ensure_future(asyncio.sleep(seconds))
    done, _ = await asyncio.wait({fetch_task, timer}, return_when=FIRST_COMPLETED)
    if fetch_task in done:
        return fetch_task.result()  # the timer is left running
    fetch_task.cancel()
    return default


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    """Try fetch(item) until it answers: each attempt at most `timeout` s, pauses of
    backoff, 2 * backoff, 4 * backoff, ... between attempts, and everything within
    `deadline` s (then raise TimeoutError)."""
    pause = backoff
    async with asyncio.timeout(deadline):  # one deadline around every attempt and pause
        while True:
            try:
                async with asyncio.timeout(timeout):  # one attempt
                    return await fetch(item)
            except (TimeoutError, ConnectionError):
                await asyncio.sleep(pause)
                pause *= 2


async def fetch_steps(fetch, steps, deadline):
    """Fetch the steps one after another; return the results that arrived within `deadline` s."""
    results = []
    try:
        async with asyncio.timeout(deadline):
            for step in steps:
                results.append(await fetch(step))
    except TimeoutError:  # the step in progress was cancelled; later steps never start
        pass
    return results
