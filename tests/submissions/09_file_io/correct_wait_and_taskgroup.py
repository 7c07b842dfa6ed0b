# expect: pass
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path, encoding="utf-8") as file:
        return await file.read()


async def read_all(paths):
    async with asyncio.TaskGroup() as group:
        tasks = {
            index: group.create_task(read_text(path))
            for index, path in enumerate(paths)
        }
    return [tasks[index].result() for index in range(len(paths))]


async def copy_matching(source, target, word):
    copied = 0
    async with (
        aiofiles.open(target, mode="w") as out,
        aiofiles.open(source, mode="r") as lines,
    ):
        while True:
            line = await lines.readline()
            if line == "":
                break
            if word not in line:
                continue
            await out.write(line)
            copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, mode="w") as file:
        await file.write(text)
        await file.flush()


async def write_all(texts):
    if not texts:
        return
    tasks = [
        asyncio.create_task(write_text(path, text)) for path, text in texts.items()
    ]
    done, _ = await asyncio.wait(tasks)
    for task in done:
        task.result()  # let a failed write raise
