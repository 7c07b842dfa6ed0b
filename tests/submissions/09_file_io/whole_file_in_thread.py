# expect-fail: test_copy_matching_streams_a_large_file: on a 4.0 MB file. It held up to
# expect-pass: test_read_all_reads_files_together
import asyncio


def _read(path):
    with open(path) as file:
        return file.read()


def _write(path, text):
    with open(path, "w") as file:
        file.write(text)


async def read_all(paths):
    return await asyncio.gather(*(asyncio.to_thread(_read, path) for path in paths))


async def copy_matching(source, target, word):
    lines = (await asyncio.to_thread(_read, source)).splitlines(keepends=True)
    matching = [line for line in lines if word in line]
    await asyncio.to_thread(_write, target, "".join(matching))
    return len(matching)


async def write_all(texts):
    await asyncio.gather(*(asyncio.to_thread(_write, path, text) for path, text in texts.items()))
