"""Exercise 02, reference solution."""

import asyncio


async def worker(step, name, count):
    """Take `count` steps, one after another: step(name, 1), ..., step(name, count)."""
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    """Run one worker per name at the same time, so that their steps interleave."""
    tasks = [asyncio.create_task(worker(step, name, count)) for name in names]
    for task in tasks:
        await task


async def download_while_working(download, url, step, count):
    """Start download(url) in the background, do `count` work steps, return the download's result."""
    download_task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    return await download_task


async def crunch(process, items):
    """Return [process(item) for item in items], giving other coroutines a turn after each item."""
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
