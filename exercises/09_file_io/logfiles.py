"""Exercise 09: read and write files without blocking the event loop, with aiofiles.

Read README.md in this folder first. Every path is a pathlib.Path (a str works the same).
The built-in open() blocks the loop: use aiofiles (`import aiofiles`), whose open, reads
and writes run in a worker thread while the event loop goes on.
"""

import asyncio  # you will need them
import aiofiles


async def read_all(paths):
    """Read every file at the same time; return their texts, in the order of `paths`."""
    # TODO: read one file with `async with aiofiles.open(path) as f: ... await f.read()`,
    #       and read them all at once with asyncio.gather.
    raise NotImplementedError


async def copy_matching(source, target, word):
    """Copy each line of `source` that contains `word` to `target`, line by line, and
    return how many lines were copied.

    `source` may be far larger than memory: read it one line at a time and write each
    matching line as you go. `target` is created, or emptied first if it exists.
    """
    # TODO: open both files, go through the source with `async for line in ...`,
    #       and `await` each write of a matching line.
    raise NotImplementedError


async def write_all(texts):
    """`texts` maps paths to texts: write each text to its file (replacing what the file
    held before), all files at the same time. Return once every file is written and closed."""
    # TODO: write one file with `async with aiofiles.open(path, "w") as f: await f.write(text)`,
    #       and write them all at once.
    raise NotImplementedError
