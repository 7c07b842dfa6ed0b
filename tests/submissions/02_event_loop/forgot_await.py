# expect-fail: test_worker_takes_its_steps_in_order: 4 step(...) call(s) were made but never awaited
# expect-fail: test_take_turns_interleaves_two_workers: No step was taken at all: the workers never ran
# expect-fail: test_download_runs_while_working[download-takes-longer]: 1 download(...) call(s) were never awaited
# expect-fail: test_crunch_lets_other_coroutines_run: without pausing once
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        step(name, i)


async def take_turns(step, names, count):
    for name in names:
        worker(step, name, count)


async def download_while_working(download, url, step, count):
    page = download(url)
    worker(step, "work", count)
    return page


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        asyncio.sleep(0)
    return results
