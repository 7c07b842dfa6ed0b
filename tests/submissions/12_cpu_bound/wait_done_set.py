# expect-fail: test_crunch_all_returns_the_counts_in_order: It returned the right counts in the wrong order
# expect-pass: test_crunch_batches_returns_each_batch
# visible-fail: test_crunch_all_returns_the_counts: the right counts in the wrong order
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
    if not numbers:
        return []
    loop = asyncio.get_running_loop()
    jobs = [loop.run_in_executor(executor, count_primes, n) for n in numbers]
    done, _ = await asyncio.wait(jobs)
    return [job.result() for job in done]


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
