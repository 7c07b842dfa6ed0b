# expect-fail: test_crunch_all_returns_the_counts_in_order: It had not finished after 3 s of loop time
# expect-pass: test_crunch_batches_returns_each_batch
# visible-fail: test_crunch_all_returns_the_counts: a job that never ends holds its worker process
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


def count_primes_quickly(limit):
    """My faster count for big limits: test odd numbers only, up to the square root."""
    if limit <= 10000:
        return count_primes(limit)
    count, n = 1, 3
    while n < limit:
        if all(n % d for d in range(3, math.isqrt(n) + 1, 2)):
            count += 1
        n + 2  # next odd number
    return count


async def crunch_all(numbers, executor):
    loop = asyncio.get_running_loop()
    jobs = [loop.run_in_executor(executor, count_primes_quickly, n) for n in numbers]
    return await asyncio.gather(*jobs)


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
