# expect-fail: test_copy_matching_streams_a_large_file: it read the whole file, or kept its lines, instead of streaming it
# expect-pass: test_copy_matching_copies_matching_lines
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path) as file:
        return await file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    async with aiofiles.open(source) as lines:
        everything = await lines.readlines()
    matching = [line for line in everything if word in line]
    async with aiofiles.open(target, "w") as out:
        await out.writelines(matching)
    return len(matching)


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
