# expect-fail: test_files_are_closed_when_done: it had left out-1.txt, out-2.txt, out-3.txt open
# expect-pass: test_read_all_returns_each_files_text
# visible-fail: test_files_are_closed_when_done: out-1.txt, out-2.txt, out-3.txt never closed
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path) as file:
        return await file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "w") as out:
        async for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    file = await aiofiles.open(path, "w")
    await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
