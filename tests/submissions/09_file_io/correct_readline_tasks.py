# expect: pass
"""create_task for each file, readline in a loop, files opened with await and closed by hand."""
import asyncio

import aiofiles


async def read_one(path):
    file = await aiofiles.open(path, mode="r")
    try:
        return await file.read()
    finally:
        await file.close()


async def read_all(paths):
    tasks = [asyncio.create_task(read_one(path)) for path in paths]
    return [await task for task in tasks]


async def copy_matching(source, target, word):
    count = 0
    reader = await aiofiles.open(source)
    writer = await aiofiles.open(target, "w")
    try:
        while line := await reader.readline():
            if word in line:
                await writer.write(line)
                count += 1
    finally:
        await reader.close()
        await writer.close()
    return count


async def write_one(path, text):
    file = await aiofiles.open(path, "w")
    try:
        await file.write(text)
        await file.flush()
    finally:
        await file.close()


async def write_all(texts):
    tasks = [asyncio.create_task(write_one(path, text)) for path, text in texts.items()]
    for task in tasks:
        await task
