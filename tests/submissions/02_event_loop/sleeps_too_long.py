# expect-fail: test_take_turns_runs_workers_at_the_same_time: were all done at 4 s, but it returned only at 10 s of loop time
# visible-fail: test_take_turns_returns_when_its_workers_are_done: though its workers were done at 3 s
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    tasks = [asyncio.create_task(worker(step, name, count)) for name in names]
    await asyncio.sleep(10)  # more than enough for the workers
    for task in tasks:
        await task


async def download_while_working(download, url, step, count):
    task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    return await task


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
