# expect-fail: test_copy_matching_streams_a_large_file: matching line(s) missing
# expect-pass: test_read_all_reads_files_together
# visible-fail: test_copy_matching_streams_a_large_file: not copied whole
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
        while chunk := await lines.read(
            64 * 1024
        ):  # 64 kB at a time, never the whole file
            for line in chunk.splitlines(keepends=True):
                if word in line:
                    await out.write(line)
                    copied += 1
    return copied


async def write_text(path, text):
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
