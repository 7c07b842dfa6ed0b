# expect-fail: test_take_turns_runs_workers_at_the_same_time: but ran one step at a time: 12 s of loop time
# expect-fail: test_download_runs_while_working[download-takes-longer]: read the download task's result before the download had finished
# expect-pass: test_take_turns_interleaves_two_workers
# expect-pass: test_download_runs_while_working[work-takes-longer]
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    for i in range(1, count + 1):
        for name in names:
            await step(name, i)


async def download_while_working(download, url, step, count):
    task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    return task.result()


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
