# expect-fail: test_read_settings_reads_a_slow_file: It raised AttributeError: 'coroutine' object has no attribute 'splitlines'
import asyncio

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
    async with aiofiles.open(path, encoding="utf-8") as file:
        text = file.read()
    return parse_settings(text)


async def lookup_all(legacy_lookup, keys):
    return await asyncio.gather(
        *(asyncio.to_thread(legacy_lookup, key) for key in keys)
    )
