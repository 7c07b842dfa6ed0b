# expect-fail: test_read_all_reads_files_together: reading one file took 3 s, and reading 5 files took 15 s: one after another
# expect-fail: test_read_all_handles_many_files: reading 40 files took 120 s: one after another
# expect-fail: test_write_all_writes_files_together: writing one file took 3 s, and writing 5 files took 15 s: one after another
# expect-pass: test_read_all_returns_each_files_text
# expect-pass: test_write_all_writes_every_file
import aiofiles


async def read_all(paths):
    texts = []
    for path in paths:
        async with aiofiles.open(path) as file:
            texts.append(await file.read())
    return texts


async def copy_matching(source, target, word):
    copied = 0
    async with aiofiles.open(source) as lines, aiofiles.open(target, "w") as out:
        async for line in lines:
            if word in line:
                await out.write(line)
                copied += 1
    return copied


async def write_all(texts):
    for path, text in texts.items():
        async with aiofiles.open(path, "w") as file:
            await file.write(text)
