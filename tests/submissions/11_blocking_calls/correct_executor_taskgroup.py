# expect: pass
import asyncio
import functools

import aiofiles


def parse_settings(text):
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


async def wait_until_ready(is_ready, interval):
    checks = 0
    while True:
        checks += 1
        if is_ready():
            return checks
        await asyncio.sleep(interval)


async def fetch_stock(session, url):
    response = await session.get(url)
    try:
        response.raise_for_status()
        return (await response.json())["in_stock"]
    finally:
        response.release()


async def read_settings(path):
    async with aiofiles.open(path, encoding="utf-8") as file:
        return parse_settings(await file.read())


async def lookup_all(legacy_lookup, keys):
    loop = asyncio.get_running_loop()
    futures = [
        loop.run_in_executor(None, functools.partial(legacy_lookup, key))
        for key in keys
    ]
    return list(await asyncio.gather(*futures))
