# expect-fail: test_take_turns_interleaves_two_workers: It called asyncio.run() while the event loop was already running
# expect-pass: test_worker_takes_its_steps_in_order
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    async def everyone():
        await asyncio.gather(*(worker(step, name, count) for name in names))

    asyncio.run(everyone())


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
