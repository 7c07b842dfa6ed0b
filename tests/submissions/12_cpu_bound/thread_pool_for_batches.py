# expect-fail: test_crunch_batches_returns_each_batch: count_primes ran 6 time(s) in threads of the event loop's own process
# expect-fail: test_crunch_batches_uses_one_pool_for_all_batches: crunch_batches creates a ProcessPoolExecutor, not a ThreadPoolExecutor
# expect-pass: test_crunch_all_keeps_the_event_loop_responsive
import asyncio
import math
from concurrent.futures import ThreadPoolExecutor


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
    loop = asyncio.get_running_loop()
    return await asyncio.gather(
        *(loop.run_in_executor(executor, count_primes, n) for n in numbers)
    )


async def crunch_batches(batches, workers=2):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
