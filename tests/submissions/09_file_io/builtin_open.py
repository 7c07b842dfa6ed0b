# expect-fail: test_read_all_returns_each_files_text: It opened kiwi.log with the built-in open() on the event loop, at logfiles.py:11 (`with open(path) as file:`)
# expect-fail: test_read_all_reads_files_together: with the built-in open() on the event loop
# expect-fail: test_copy_matching_copies_matching_lines: It opened app.log with the built-in open() on the event loop, at logfiles.py:21
# expect-fail: test_copy_matching_streams_a_large_file: built-in open()
# expect-fail: test_write_all_writes_every_file: at logfiles.py:31 (`with open(path, "w") as file:`)
# expect-fail: test_write_all_writes_files_together: built-in open()
import asyncio


async def read_text(path):
    with open(path) as file:
        return file.read()


async def read_all(paths):
    return await asyncio.gather(*(read_text(path) for path in paths))


async def copy_matching(source, target, word):
    copied = 0
    with open(source) as lines, open(target, "w") as out:
        for line in lines:
            if word in line:
                out.write(line)
                copied += 1
    return copied


async def write_all(texts):
    for path, text in texts.items():
        with open(path, "w") as file:
            file.write(text)
