# expect-fail: test_crunch_lets_other_coroutines_run: It made a blocking call, time.sleep, at interleave.py:27
# expect-fail: test_crunch_never_freezes_the_loop: blocking call, time.sleep
# expect-pass: test_take_turns_interleaves_two_workers
import asyncio
import time


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    await asyncio.gather(*(worker(step, name, count) for name in names))


async def download_while_working(download, url, step, count):
    task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    return await task


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        time.sleep(0)  # let the others run
    return results
