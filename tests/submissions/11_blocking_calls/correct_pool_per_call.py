# expect: pass
import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor


def parse_settings(text):
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


async def wait_until_ready(is_ready, interval):
    for checks in itertools.count(1):
        if is_ready():
            return checks
        await asyncio.sleep(interval)


async def fetch_stock(session, url):
    async with session.get(url, raise_for_status=True) as response:
        return (await response.json(content_type=None))["in_stock"]


async def read_settings(path):
    data = await asyncio.to_thread(path.read_bytes)
    return parse_settings(data.decode("utf-8"))


async def lookup_all(legacy_lookup, keys):
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=max(1, len(keys)))
    try:
        futures = [loop.run_in_executor(pool, legacy_lookup, key) for key in keys]
        return [await future for future in futures]
    finally:
        pool.shutdown(wait=False)
