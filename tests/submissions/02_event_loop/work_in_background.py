# expect-fail: test_take_turns_interleaves_two_workers: worker A took all its steps before the next worker took its first
# expect-fail: test_take_turns_runs_workers_at_the_same_time: worker C took all its steps before the next worker took its first
# expect-fail: test_download_runs_while_working[work-takes-longer]: (worker()): your work was started as a task and nothing waited for it
# expect-pass: test_download_runs_while_working[download-takes-longer]
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    return [await worker(step, name, count) for name in names]


async def download_while_working(download, url, step, count):
    asyncio.create_task(worker(step, "work", count))  # work in the background
    return await download(url)


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
