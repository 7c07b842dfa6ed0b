# expect: pass
import asyncio
import functools


def _read(path):
    with open(path, encoding="utf-8") as file:
        return file.read()


async def read_all(paths):
    loop = asyncio.get_running_loop()
    return await asyncio.gather(
        *(loop.run_in_executor(None, _read, path) for path in paths)
    )


class Lines:
    """Async iterator over a file's lines: each readline runs in the default executor."""

    def __init__(self, file):
        self.file = file
        self.loop = asyncio.get_running_loop()

    def __aiter__(self):
        return self

    async def __anext__(self):
        line = await self.loop.run_in_executor(None, self.file.readline)
        if not line:
            raise StopAsyncIteration
        return line


async def copy_matching(source, target, word):
    loop = asyncio.get_running_loop()
    src = await loop.run_in_executor(
        None, functools.partial(open, source, encoding="utf-8")
    )
    try:
        dst = await loop.run_in_executor(
            None, functools.partial(open, target, "w", encoding="utf-8")
        )
        try:
            copied = 0
            async for line in Lines(src):
                if word in line:
                    await loop.run_in_executor(None, dst.write, line)
                    copied += 1
        finally:
            await loop.run_in_executor(None, dst.close)
    finally:
        await loop.run_in_executor(None, src.close)
    return copied


def _write(path, text):
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


async def write_all(texts):
    loop = asyncio.get_running_loop()
    await asyncio.gather(
        *(
            loop.run_in_executor(None, _write, path, text)
            for path, text in texts.items()
        )
    )
