# expect-fail: test_take_turns_runs_workers_at_the_same_time: It returned while 3 task(s) it started were still running
# expect-fail: test_take_turns_interleaves_two_workers: were all done at 0 s, but it returned only at 1 s
# visible-fail: test_take_turns_returns_when_its_workers_are_done: with tasks still running
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    for name in names:
        asyncio.create_task(worker(step, name, count))
    await asyncio.sleep(1)  # long enough for the workers, I hope


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
