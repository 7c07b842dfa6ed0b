# expect: pass
"""TaskGroups, binary reads in chunks, and lines split by hand."""
import asyncio

import aiofiles

CHUNK = 64 * 1024


async def _read(path):
    async with aiofiles.open(path, "rb") as file:
        return (await file.read()).decode()


async def read_all(paths):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_read(path)) for path in paths]
    return [task.result() for task in tasks]


async def copy_matching(source, target, word):
    copied = 0
    rest = ""
    async with aiofiles.open(source, encoding="utf-8") as lines:
        async with aiofiles.open(target, mode="w", encoding="utf-8") as out:
            while chunk := await lines.read(CHUNK):
                *complete, rest = (rest + chunk).split("\n")
                for line in complete:
                    if word in line:
                        await out.write(line + "\n")
                        copied += 1
            if word in rest:
                await out.write(rest)
                copied += 1
    return copied


async def _write(path, text):
    async with aiofiles.open(path, "wb") as file:
        await file.write(text.encode())


async def write_all(texts):
    async with asyncio.TaskGroup() as group:
        for path, text in texts.items():
            group.create_task(_write(path, text))
