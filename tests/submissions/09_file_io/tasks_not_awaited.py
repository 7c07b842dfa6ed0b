# expect-fail: test_write_all_writes_every_file: It returned while 4 task(s) it started were still running (4 × write_text())
# expect-fail: test_write_all_writes_files_together: the work on the files was not done when write_all returned
# expect-pass: test_read_all_reads_files_together
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path) as file:
        return await file.read()


async def read_all(paths):
    tasks = [asyncio.create_task(read_text(path)) for path in paths]
    return [await task for task in tasks]


async def copy_matching(source, target, word):
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "w") as out:
        async for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    for path, text in texts.items():
        asyncio.create_task(write_text(path, text))
