# expect: pass
import asyncio


async def worker(step, name, count):
    i = 1
    while i <= count:
        await step(name, i)
        i += 1


async def take_turns(step, names, count):
    await asyncio.gather(*[worker(step, name, count) for name in names])


async def download_while_working(download, url, step, count):
    page, _ = await asyncio.gather(download(url), worker(step, "work", count))
    return page


async def crunch(process, items):
    results = []
    for item in items:
        await asyncio.sleep(0)
        results.append(process(item))
    return results
