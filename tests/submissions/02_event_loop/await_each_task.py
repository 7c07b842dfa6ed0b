# expect-fail: test_take_turns_interleaves_two_workers: (or awaiting a task right after creating it) runs that worker to the end
# expect-fail: test_download_runs_while_working[work-takes-longer]: The download ran first (0–1.5 s)
# expect-pass: test_crunch_never_freezes_the_loop
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    for name in names:
        await asyncio.create_task(worker(step, name, count))


async def download_while_working(download, url, step, count):
    page = await asyncio.create_task(download(url))
    await worker(step, "work", count)
    return page


async def crunch(process, items):
    results = []
    for item in items:
        await asyncio.sleep(0)
        results.append(process(item))
    return results
