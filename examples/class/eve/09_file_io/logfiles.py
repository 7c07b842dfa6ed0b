"""Exercise 09, reference solution."""

import asyncio

import aiofiles


async def read_text(path):
    """The text of one file, read in aiofiles' worker thread."""
    async with aiofiles.open(path) as file:
        return await file.read()


async def read_all(paths):
    """Read every file at the same time; return their texts, in the order of `paths`."""
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    """Copy each line of `source` containing `word` to `target`, one line at a time."""
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "w") as out:
        async for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_text(path, text):
    """Replace the contents of one file with `text`."""
    async with aiofiles.open(path, "w") as file:
        await file.write(text)


async def write_all(texts):
    """Write each text to its path, all files at the same time."""
    await asyncio.gather(*(write_text(path, text) for path, text in texts.items()))
