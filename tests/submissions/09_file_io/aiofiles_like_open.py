# expect-fail: test_read_all_returns_each_files_text: `async with aiofiles.open(path) as f:`, not `with`
# expect-fail: test_copy_matching_copies_matching_lines: read line by line with `async for line in f:`
# expect-fail: test_write_all_writes_every_file: 'AiofilesContextManager' object has no attribute 'write'
# expect-fail: test_write_all_writes_files_together: gives the file only once awaited
import asyncio

import aiofiles


async def read_text(path):
    with aiofiles.open(path) as file:
        return await file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "w") as out:
        for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    file = aiofiles.open(path, "w")
    await file.write(text)
    await file.close()


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
