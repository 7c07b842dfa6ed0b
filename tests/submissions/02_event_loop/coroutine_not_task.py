# expect-fail: test_take_turns_interleaves_two_workers: worker A took all its steps before the next worker took its first
# expect-fail: test_download_runs_while_working[download-takes-longer]: The download started only after your work was done (at 3 s)
# expect-fail: test_download_runs_while_working[work-takes-longer]: A coroutine object does nothing until it is awaited
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    workers = [worker(step, name, count) for name in names]  # all started here?
    for w in workers:
        await w


async def download_while_working(download, url, step, count):
    pending = download(url)  # start the download...
    await worker(step, "work", count)
    return await pending


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
