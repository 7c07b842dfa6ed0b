# expect: pass
import asyncio
import math
import multiprocessing
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
    loop = asyncio.get_event_loop()
    results = [None] * len(numbers)

    async def one(index, n):
        return index, await loop.run_in_executor(executor, count_primes, n)

    for next_done in asyncio.as_completed([one(i, n) for i, n in enumerate(numbers)]):
        index, count = await next_done
        results[index] = count
    return results


async def crunch_batches(batches, workers=2):
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = []
        for batch in batches:
            results.append(await crunch_all(batch, pool))
        return results
