# expect-fail: test_crunch_all_uses_the_executor_it_is_given: It created 6 new ProcessPoolExecutor(s) (one per number)
# expect-fail: test_crunch_batches_uses_one_pool_for_all_batches: It created 7 ProcessPoolExecutors for 4 batches
# expect-pass: test_crunch_all_runs_the_work_in_worker_processes
# expect-pass: test_crunch_all_returns_the_counts_in_order
# expect-pass: test_crunch_batches_shuts_down_when_a_batch_fails
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
    async def one(n):
        with ProcessPoolExecutor(max_workers=2) as pool:
            return await asyncio.get_running_loop().run_in_executor(
                pool, count_primes, n
            )

    return await asyncio.gather(*(one(n) for n in numbers))


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
