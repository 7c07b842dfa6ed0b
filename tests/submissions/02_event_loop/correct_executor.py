# expect: pass
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    await asyncio.gather(*(worker(step, name, count) for name in names))


async def download_while_working(download, url, step, count):
    task = asyncio.ensure_future(download(url))
    await worker(step, "work", count)
    return await task


async def crunch(process, items):
    loop = asyncio.get_running_loop()
    return [await loop.run_in_executor(None, process, item) for item in items]
