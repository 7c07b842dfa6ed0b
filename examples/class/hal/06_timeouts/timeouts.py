"""Exercise 06, reference solution."""

import asyncio


async def fetch_or_default(fetch, item, seconds, default):
    """Return the result of fetch(item), or `default` if it does not answer within `seconds`."""
    try:
        return await asyncio.wait_for(fetch(item), seconds)
    except TimeoutError:  # wait_for has cancelled the fetch and waited for it to stop
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
