# expect: pass
import asyncio


async def worker(step, name, count):
    for i in range(count):
        await step(name, i + 1)


async def take_turns(step, names, count):
    async with asyncio.TaskGroup() as group:
        for name in names:
            group.create_task(worker(step, name, count))


async def download_while_working(download, url, step, count):
    async with asyncio.TaskGroup() as group:
        downloading = group.create_task(download(url))
        await worker(step, "work", count)
    return downloading.result()


async def crunch(process, items):
    return [await asyncio.to_thread(process, item) for item in items]
