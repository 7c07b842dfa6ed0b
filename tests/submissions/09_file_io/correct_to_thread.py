# expect: pass
"""Plain blocking file code, always run in a worker thread with asyncio.to_thread."""
import asyncio


def _copy(source, target, word):
    copied = 0
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            if word in line:
                out.write(line)
                copied += 1
    return copied


async def read_all(paths):
    return list(await asyncio.gather(*(asyncio.to_thread(path.read_text) for path in paths)))


async def copy_matching(source, target, word):
    return await asyncio.to_thread(_copy, source, target, word)


async def write_all(texts):
    await asyncio.gather(*(asyncio.to_thread(path.write_text, text) for path, text in texts.items()))
