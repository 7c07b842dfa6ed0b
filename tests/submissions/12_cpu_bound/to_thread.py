# expect-fail: test_crunch_all_runs_the_work_in_worker_processes: in threads of the event loop's own process
# expect-fail: test_crunch_all_uses_the_executor_it_is_given: asyncio.to_thread or run_in_executor(None, ...) use threads
# expect-fail: test_crunch_batches_uses_one_pool_for_all_batches: Pure-Python computation holds the GIL
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
    return await asyncio.gather(*(asyncio.to_thread(count_primes, n) for n in numbers))


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
