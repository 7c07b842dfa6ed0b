# expect-fail: test_take_turns_interleaves_two_workers: The steps ran A1 A2 A3 B1 B2 B3: worker A took all its steps before the next worker took its first
# expect-fail: test_take_turns_runs_workers_at_the_same_time: runs that worker to the end before your next line runs
# expect-fail: test_download_runs_while_working[download-takes-longer]: The download ran first (0–4 s) and your work only after it
# expect-pass: test_worker_takes_its_steps_in_order
# expect-pass: test_crunch_lets_other_coroutines_run
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    for name in names:
        await worker(step, name, count)


async def download_while_working(download, url, step, count):
    page = await download(url)
    await worker(step, "work", count)
    return page


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
