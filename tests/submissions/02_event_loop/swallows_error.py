# expect-fail: test_download_failure_comes_out: It returned None instead of raising: the exception was swallowed
# expect-pass: test_download_runs_while_working[download-takes-longer]
# expect-pass: test_download_runs_while_working[work-takes-longer]
import asyncio


async def worker(step, name, count):
    for i in range(1, count + 1):
        await step(name, i)


async def take_turns(step, names, count):
    await asyncio.gather(*(worker(step, name, count) for name in names))


async def download_while_working(download, url, step, count):
    task = asyncio.create_task(download(url))
    await worker(step, "work", count)
    try:
        return await task
    except Exception as error:
        print(f"download failed: {error}")
        return None


async def crunch(process, items):
    results = []
    for item in items:
        results.append(process(item))
        await asyncio.sleep(0)
    return results
