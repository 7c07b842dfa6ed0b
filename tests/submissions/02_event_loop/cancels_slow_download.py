# expect-fail: test_download_runs_while_working[download-takes-longer]: It cancelled the download at 3 s, before it had finished
# expect-fail: test_download_failure_comes_out: awaiting the task raised CancelledError
# expect-pass: test_download_runs_while_working[work-takes-longer]
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
    if not task.done():
        task.cancel()  # the work is done: don't hang around for a slow download
    return await task


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
