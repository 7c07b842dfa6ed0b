# expect: pass
import asyncio
import math
from concurrent.futures import ProcessPoolExecutor


def count_primes(limit):
    """How many primes are smaller than `limit`: slow on purpose (pure-Python trial division)."""
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


def _copy(source, target):
    """The job's outcome, onto the asyncio future (run in the loop's thread)."""
    if target.cancelled():
        return
    if source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


async def crunch_all(numbers, executor):
    loop = asyncio.get_running_loop()
    waiters = []
    for n in numbers:
        job = executor.submit(count_primes, n)
        waiter = loop.create_future()
        job.add_done_callback(
            lambda done, waiter=waiter: loop.call_soon_threadsafe(_copy, done, waiter)
        )
        waiters.append(waiter)
    return [await waiter for waiter in waiters]


async def crunch_batches(batches, workers=2):
    pool = ProcessPoolExecutor(workers)
    try:
        results = []
        for batch in batches:
            results.append(await crunch_all(batch, pool))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return results
