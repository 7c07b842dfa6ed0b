# expect-fail: test_take_turns_runs_workers_at_the_same_time: It returned while 2 task(s) it started were still running
# expect-pass: test_take_turns_interleaves_two_workers
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    tasks = [asyncio.create_task(worker(step, name, count)) for name in names]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)


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
