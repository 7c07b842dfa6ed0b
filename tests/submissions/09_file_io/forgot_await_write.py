# expect-fail: test_copy_matching_copies_matching_lines: at logfiles.py:23 (`out.write(line)`) but never awaited it, so nothing was written
# expect-fail: test_write_all_writes_every_file: at logfiles.py:30 (`file.write(text)`) but never awaited it
# expect-pass: test_read_all_reads_files_together
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
                out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
