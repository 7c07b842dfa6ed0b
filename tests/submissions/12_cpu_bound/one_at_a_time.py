# expect-fail: test_crunch_all_hands_out_every_number_before_waiting: It sent the 6 numbers to the pool one at a time
# expect-pass: test_crunch_all_keeps_the_event_loop_responsive
# expect-pass: test_crunch_batches_uses_one_pool_for_all_batches
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
    loop = asyncio.get_running_loop()
    counts = []
    for n in numbers:
        counts.append(await loop.run_in_executor(executor, count_primes, n))
    return counts


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
