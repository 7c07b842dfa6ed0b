"""Exercise 12: keep the event loop free while CPU-heavy work runs in other processes.

Read README.md in this folder first. count_primes is the heavy work: it is given, and it
must stay a plain function at the top level of this module (a process pool sends it to
another process by its name). You write the async part.
"""

import asyncio  # noqa: F401  (you will need it)
import math
from concurrent.futures import ProcessPoolExecutor  # noqa: F401  (you will need it)


def count_primes(limit):
    """How many primes are smaller than `limit`: slow on purpose (pure-Python trial division).

    Given: don't change it. It raises ValueError for a negative limit.
    """
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")
    count = 0
    for n in range(2, limit):
        for divisor in range(2, math.isqrt(n) + 1):
            if n % divisor == 0:
                break
        else:
            count += 1
    return count


async def crunch_all(numbers, executor):
    """Return [count_primes(n) for n in numbers], each computed in one of the worker
    processes of `executor` (a ProcessPoolExecutor), all of them handed out at once.

    The event loop must stay free meanwhile. Don't create a pool here and don't shut
    `executor` down: it belongs to the caller. If a count raises, crunch_all raises it.
    """
    # TODO: hand every number to the executor with loop.run_in_executor, then await them together.
    raise NotImplementedError


async def crunch_batches(batches, workers=2):
    """Return [await crunch_all(batch, pool) for batch in batches], all through ONE
    ProcessPoolExecutor of `workers` processes, created here and shut down before returning
    (also when a batch raises)."""
    # TODO: create one pool (a `with` block), crunch every batch through it, return the counts.
    raise NotImplementedError
