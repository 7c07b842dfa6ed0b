# expect-fail: test_crunch_lets_other_coroutines_run: It went through items 1 to 5 without pausing
# expect-fail: test_crunch_never_freezes_the_loop: got no turn between them (6 such stretch(es) in 30 items)
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
    for n, item in enumerate(items, 1):
        results.append(process(item))
        if n % 5 == 0:  # yielding after every item seems wasteful
            await asyncio.sleep(0)
    return results
