# expect-fail: test_crunch_lets_other_coroutines_run: crunch is an async generator function: an `async def` with `yield` in it
# expect-fail: test_crunch_never_freezes_the_loop: drop the `yield`
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
    for item in items:
        yield process(item)
        await asyncio.sleep(0)
