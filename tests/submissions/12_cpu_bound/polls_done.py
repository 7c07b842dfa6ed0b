# expect-fail: test_crunch_all_keeps_the_event_loop_responsive: the heartbeat never got to run: the event loop was frozen
# expect-fail: test_crunch_all_returns_the_counts_in_order: the event loop was frozen until the jobs were done
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
    while not all(future.done() for future in futures):
        pass  # the results are not in yet
    return [future.result() for future in futures]


async def crunch_batches(batches, workers=2):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [await crunch_all(batch, pool) for batch in batches]
