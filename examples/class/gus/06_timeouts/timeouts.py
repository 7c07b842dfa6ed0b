"""Exercise 06: give up in time with asyncio.wait_for and asyncio.timeout.

Read README.md in this folder first. Each function receives `fetch`, an async
function: `await fetch(item)` returns the result for one item after a while (and
sometimes never soon enough). Keep the parameters, their names and their order: the
tests pass the numbers both by position and by name (seconds=2, default="?").
"""


async def fetch_or_default(fetch, item, seconds, default):
    """Return the result of fetch(item), but wait at most `seconds`: if the fetch has not
    answered by then, stop it and return `default` instead.

    Only a timeout gives the default: if fetch raises an exception, let it out.
    """
    # TODO: await the fetch under a time limit; on TimeoutError return the default.
    raise NotImplementedError


async def fetch_with_retries(fetch, item, timeout, backoff, deadline):
    """Call fetch(item) until it answers, and return its result.

    - Each attempt may take at most `timeout` seconds.
    - An attempt fails when it times out or when fetch raises ConnectionError. After a
      failed attempt, pause before the next one: `backoff` seconds after the first failure,
      then twice as long each time (backoff, 2 * backoff, 4 * backoff, ...).
    - Everything together, attempts and pauses, may take at most `deadline` seconds. When
      the deadline comes, stop at once (in the middle of an attempt or of a pause) and
      raise TimeoutError.
    """
    # TODO: a loop of attempts, each under its own timeout, all under one deadline.
    raise NotImplementedError


async def fetch_steps(fetch, steps, deadline):
    """Fetch the steps one after another, in order (each starts when the one before has
    answered), and return the list of their results.

    All the steps together may take at most `deadline` seconds. When the deadline comes,
    stop the step in progress, start no more, and return the results that arrived in time.
    """
    # TODO: one deadline around the whole loop; keep the results you already have.
    raise NotImplementedError
