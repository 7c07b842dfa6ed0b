# expect: pass
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    loop = asyncio.get_running_loop()
    tasks = {loop.create_task(worker(step, name, count)) for name in names}
    if tasks:
        await asyncio.wait(tasks)


async def download_while_working(download, url, step, count):
    downloading = asyncio.ensure_future(download(url))
    await asyncio.gather(*[worker(step, "work", count)])
    await asyncio.wait({downloading})
    return downloading.result()


async def _one_at_a_time(process, items):
    for item in items:
        yield process(item)
        await asyncio.sleep(0)


async def crunch(process, items):
    return [result async for result in _one_at_a_time(process, items)]
