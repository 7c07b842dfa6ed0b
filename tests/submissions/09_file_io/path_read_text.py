# expect-fail: test_read_all_returns_each_files_text: (Path.read_text, write_text and open call it) on the event loop, at logfiles.py:10 (`return path.read_text()`)
# expect-fail: test_read_all_reads_files_together: on the event loop, at logfiles.py:10
# expect-pass: test_write_all_writes_files_together
import asyncio

import aiofiles


async def read_text(path):
    return path.read_text()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "w") as out:
        async for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_all(texts):
    await asyncio.gather(*(asyncio.to_thread(path.write_text, text) for path, text in texts.items()))
