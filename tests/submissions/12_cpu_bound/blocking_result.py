# expect-fail: test_crunch_all_returns_the_counts_in_order: It waited for the result of count_primes(20000) with .result() at crunch.py:23
# expect-fail: test_crunch_batches_returns_each_batch: .result() of a concurrent future blocks the thread
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
    futures = [executor.submit(count_primes, n) for n in numbers]
    return [future.result() for future in futures]


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
