# expect: pass
import asyncio
from concurrent.futures import ThreadPoolExecutor

import aiofiles

POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="legacy")


def parse_settings(text):
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


async def wait_until_ready(is_ready, interval):
    checks = 1
    while not is_ready():
        await asyncio.sleep(interval)
        checks += 1
    return checks


async def fetch_stock(session, url):
    async with session.get(url) as response:
        data = await response.json()
    return data["in_stock"]


async def read_settings(path):
    lines = []
    async with aiofiles.open(path, encoding="utf-8") as file:
        async for line in file:
            lines.append(line)
    return parse_settings("".join(lines))


async def lookup_all(legacy_lookup, keys):
    futures = [asyncio.wrap_future(POOL.submit(legacy_lookup, key)) for key in keys]
    results = []
    for future in futures:
        results.append(await future)
    return results
