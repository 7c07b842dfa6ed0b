# expect: pass
import asyncio
import functools
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
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_crunch_one(loop, executor, n)) for n in numbers]
    return [task.result() for task in tasks]


async def _crunch_one(loop, executor, n):
    return await loop.run_in_executor(executor, functools.partial(count_primes, n))


async def crunch_batches(batches, workers=2):
    loop = asyncio.get_running_loop()
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        return list(
            await asyncio.gather(*(crunch_all(batch, pool) for batch in batches))
        )
    finally:
        await loop.run_in_executor(None, pool.shutdown)
