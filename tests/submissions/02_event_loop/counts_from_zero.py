# expect-fail: test_worker_takes_its_steps_in_order: B4 never happened, B0 should not have happened
# expect-fail: test_take_turns_interleaves_two_workers: Steps count from 1
# expect-pass: test_crunch_lets_other_coroutines_run
import asyncio


async def worker(step, name, count):
    for i in range(count):
        await step(name, i)


async def take_turns(step, names, count):
    tasks = [asyncio.create_task(worker(step, name, count)) for name in names]
    await asyncio.wait(tasks)


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
