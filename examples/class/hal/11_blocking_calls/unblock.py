"""Exercise 11, reference solution."""

import asyncio


def parse_settings(text):
    """Settings from `key = value` lines; blank lines and `#` comments are skipped."""
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


async def wait_until_ready(is_ready, interval):
    """Check now and then every `interval` seconds until ready; return how many checks."""
    checks = 1
    while not is_ready():
        await asyncio.sleep(interval)
        checks += 1
    return checks


async def fetch_stock(session, url):
    """The "in_stock" of the JSON page at `url`, fetched with the session given."""
    async with session.get(url) as response:
        data = await response.json()
    return data["in_stock"]


async def read_settings(path):
    """The settings in the file at `path`, read in a worker thread."""
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    return parse_settings(text)


async def lookup_all(legacy_lookup, keys):
    """legacy_lookup(key) for every key, each in a worker thread, all at once, in order."""
    return await asyncio.gather(
        *(asyncio.to_thread(legacy_lookup, key) for key in keys)
    )
