# expect-fail: test_read_all_returns_each_files_text: the wrong order: those of apple.log, fig.log, kiwi.log, pear.log
# expect-fail: test_read_all_handles_many_files: … (40 files). Expected them in the order of paths
# expect-fail: test_copy_matching_copies_matching_lines: 1 line(s) that should not be there, e.g. '08:03 error budget
import asyncio

import aiofiles


async def read_text(path):
    async with aiofiles.open(path) as file:
        return path, await file.read()


async def read_all(paths):
    pairs = await asyncio.gather(*(read_text(path) for path in paths))
    return [text for _path, text in sorted(pairs)]


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
