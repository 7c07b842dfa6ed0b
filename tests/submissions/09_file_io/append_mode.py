# expect-fail: test_copy_matching_copies_matching_lines: it was added to, not replaced
# expect-fail: test_write_all_writes_every_file: the old text was kept instead of replaced
# expect-pass: test_copy_matching_streams_a_large_file
# expect-pass: test_write_all_writes_files_together
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path) as file:
        return await file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "a") as out:
        async for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, "a") as file:
        await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
