# expect-fail: test_take_turns_interleaves_two_workers: take_turns must be a coroutine function: define it with `async def`, not `def`
# expect-fail: test_take_turns_runs_workers_at_the_same_time: starts the work the moment it is called, before anyone awaits it
# expect-pass: test_download_runs_while_working[download-takes-longer]
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


def take_turns(step, names, count):
    return asyncio.gather(*(worker(step, name, count) for name in names))


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
