# expect-fail: test_crunch_all_uses_the_executor_it_is_given: The executor was given jobs for [[20000, 2000, 12000, 5000, 300, 7000]]; expected one count_primes(n) job per number
# expect-fail: test_crunch_batches_uses_one_pool_for_all_batches: expected one count_primes(n) job per number of every batch
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


def count_list(numbers):
    """Every count of a list, in one worker process."""
    return [count_primes(n) for n in numbers]


async def crunch_all(numbers, executor):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, count_list, numbers)


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
