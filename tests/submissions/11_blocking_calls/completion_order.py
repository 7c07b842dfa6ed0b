# expect-fail: test_lookup_all_runs_lookups_at_once: the right results in the wrong order; expected [60, 40, 30, 90, 70, 10, 50, 100, ...
# expect-fail: test_lookup_all_runs_lookups_in_threads: the right results in the wrong order
# visible-fail: test_lookup_all_runs_lookups_in_threads_at_once: in the order of keys
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
    work = [asyncio.to_thread(legacy_lookup, key) for key in keys]
    return [await done for done in asyncio.as_completed(work)]
