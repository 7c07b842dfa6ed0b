# expect-fail: test_crunch_lets_other_coroutines_run: It processed all 12 items without pausing once
# expect-fail: test_crunch_never_freezes_the_loop: held the event loop for
# expect-pass: test_take_turns_interleaves_two_workers
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    tasks = [asyncio.create_task(worker(step, name, count)) for name in names]
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
    await asyncio.sleep(0)  # let the others run
    return results
