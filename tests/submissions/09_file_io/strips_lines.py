# expect-fail: test_copy_matching_copies_matching_lines: held the right lines, but with their spaces or line endings changed
# expect-pass: test_copy_matching_streams_a_large_file
# visible-fail: test_copy_matching_copies_matching_lines: the right lines, but with their spaces or line endings changed
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
            line = line.strip()
            if word in line:
                await out.write(line + "\n")
                copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
