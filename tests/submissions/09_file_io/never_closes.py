# expect-fail: test_files_are_closed_when_done: had left
# expect-pass: test_read_all_returns_each_files_text
# visible-fail: test_files_are_closed_when_done: a.log, b.log never closed
import asyncio

import aiofiles


async def read_text(path):
    file = await aiofiles.open(path)  # opened, read... and never closed
    return await file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    lines = await aiofiles.open(source)
    out = await aiofiles.open(target, "w")
    copied = 0
    async for line in lines:
        if word in line:
            await out.write(line)
            copied += 1
    await out.flush()
    return copied


async def write_text(path, text):
    file = await aiofiles.open(path, "w")
    await file.write(text)
    await file.flush()


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
