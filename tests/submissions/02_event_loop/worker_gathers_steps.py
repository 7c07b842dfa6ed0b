# expect-fail: test_worker_takes_its_steps_in_order: Its 4 steps of 1 s overlapped (1 s of loop time)
# expect-fail: test_take_turns_interleaves_two_workers: A2 started before A1 had finished: worker 'A' ran its own steps at the same time
# expect-fail: test_take_turns_runs_workers_at_the_same_time: C2 started before C1 had finished
# expect-fail: test_download_runs_while_working[work-takes-longer]: work2 started before work1 had finished
# expect-pass: test_crunch_lets_other_coroutines_run
import asyncio


async def worker(step, name, count):
    await asyncio.gather(*(step(name, i) for i in range(1, count + 1)))


async def take_turns(step, names, count):
    tasks = [asyncio.create_task(worker(step, name, count)) for name in names]
    for task in tasks:
        await task


async def download_while_working(download, url, step, count):
    task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    return await task


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
