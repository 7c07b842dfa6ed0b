# expect-fail: test_lookup_all_runs_lookups_in_threads: legacy_lookup('kiwi') ran on the event loop's own thread, called at unblock.py:37 (`return [legacy_lookup(key) for key in keys]`)
# expect-fail: test_lookup_all_runs_lookups_at_once: All 10 calls ran there
# expect-pass: test_read_settings_reads_a_slow_file
import asyncio


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
    return [legacy_lookup(key) for key in keys]
