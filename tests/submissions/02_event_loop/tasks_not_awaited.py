# expect-fail: test_take_turns_interleaves_two_workers: nothing waited for them to finish
# expect-fail: test_take_turns_runs_workers_at_the_same_time: It returned while 3 task(s) it started were still running (worker(), worker(), worker())
# expect-fail: test_download_runs_while_working[download-takes-longer]: the download was started as a task but never awaited
# expect-fail: test_download_runs_while_working[work-takes-longer]: It returned None; expected the download's result
# expect-fail: test_download_failure_comes_out: its failure could never reach the caller
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    for name in names:
        asyncio.create_task(worker(step, name, count))


async def download_while_working(download, url, step, count):
    asyncio.create_task(download(url))
    await worker(step, "work", count)


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
