# expect-fail: test_crunch_all_returns_the_counts_in_order: It returned the right counts in the wrong order
# expect-fail: test_crunch_batches_shuts_down_when_a_batch_fails: It had not finished after 3 s of loop time
# expect-pass: test_crunch_batches_uses_one_pool_for_all_batches
# expect-pass: test_crunch_batches_shuts_down_its_pool
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
    loop = asyncio.get_running_loop()
    counts = []
    for n in numbers:
        job = loop.run_in_executor(executor, count_primes, n)
        job.add_done_callback(lambda job: counts.append(job.result()))
    while len(counts) < len(numbers):
        await asyncio.sleep(0.1)  # wait until every count is in
    return counts


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
