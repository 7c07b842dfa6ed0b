# expect: pass
import asyncio


async def worker(step, name, count):
    steps = iter(range(1, count + 1))
    for i in steps:
        await step(name, i)


async def take_turns(step, names, count):
    workers = [
        asyncio.create_task(worker(step, name, count), name=f"worker {name}")
        for name in names
    ]
    for finished in asyncio.as_completed(workers):
        await finished


async def download_while_working(download, url, step, count):
    work = asyncio.create_task(worker(step, "work", count))
    page = await download(url)
    await work
    return page


async def crunch(process, items):
    loop = asyncio.get_running_loop()
    results = []
    for item in items:
        results.append(process(item))
        ready = loop.create_future()
        loop.call_soon(ready.set_result, None)  # resume on the loop's next turn
        await ready
    return results
