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


async def crunch_all(numbers, executor):
    jobs = [asyncio.wrap_future(executor.submit(count_primes, n)) for n in numbers]
    return list(await asyncio.gather(*jobs))


async def crunch_batches(batches, workers=2):
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        return [await crunch_all(batch, pool) for batch in batches]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
