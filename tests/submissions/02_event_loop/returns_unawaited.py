# expect-fail: test_take_turns_interleaves_two_workers: It returned a future (what asyncio.gather returns) instead of a result
# expect-fail: test_download_runs_while_working[download-takes-longer]: It returned a Task instead of a result
# expect-fail: test_download_failure_comes_out: Await it before returning: `return await ...`
# expect-pass: test_crunch_lets_other_coroutines_run
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    return asyncio.gather(*(worker(step, name, count) for name in names))


async def download_while_working(download, url, step, count):
    task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    return task


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
