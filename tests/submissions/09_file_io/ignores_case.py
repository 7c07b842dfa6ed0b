# expect-fail: test_copy_matching_copies_matching_lines: 1 line(s) that should not be there, e.g. '08:03 error budget
# expect-pass: test_copy_matching_streams_a_large_file
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
            if word.lower() in line.lower():
                await out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
