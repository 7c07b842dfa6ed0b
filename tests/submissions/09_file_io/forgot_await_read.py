# expect-fail: test_read_all_returns_each_files_text: at logfiles.py:11 (`return file.read()`) but never awaited it, so nothing was read
# expect-fail: test_copy_matching_copies_matching_lines: at logfiles.py:20 (`text = lines.read()`) but never awaited it
# expect-pass: test_write_all_writes_every_file
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path) as file:
        return file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    async with aiofiles.open(source) as lines:
        text = lines.read()
    matching = [line for line in text.splitlines(keepends=True) if word in line]
    async with aiofiles.open(target, "w") as out:
        await out.write("".join(matching))
    return len(matching)


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
