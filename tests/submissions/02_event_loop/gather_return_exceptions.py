# expect-fail: test_download_failure_comes_out: It returned ConnectionErr...ed answering') instead of raising: the exception was swallowed
# expect-pass: test_download_runs_while_working[download-takes-longer]
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
    page, _ = await asyncio.gather(
        download(url), worker(step, "work", count), return_exceptions=True
    )
    return page


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
