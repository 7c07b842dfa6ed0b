# expect-fail: test_lookup_all_runs_lookups_in_threads: the event loop stopped
# visible-fail: test_lookup_all_runs_lookups_in_threads_at_once: held the event loop
import asyncio
from concurrent.futures import ThreadPoolExecutor

POOL = ThreadPoolExecutor(max_workers=8)


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
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    return parse_settings(text)


async def lookup_all(legacy_lookup, keys):
    futures = [POOL.submit(legacy_lookup, key) for key in keys]
    while not all(future.done() for future in futures):
        pass  # wait until every lookup is done
    return [future.result() for future in futures]
