# expect-fail: test_lookup_all_runs_lookups_in_threads: waited for it with concurrent.futures.wait(), at unblock.py:40 (`concurrent.futures.wait(futures)`)
# expect-fail: test_lookup_all_runs_lookups_at_once: concurrent.futures.wait()
# visible-fail: test_lookup_all_runs_lookups_in_threads_at_once: concurrent.futures.wait
import asyncio
import concurrent.futures


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
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(keys) or 1)
    futures = [pool.submit(legacy_lookup, key) for key in keys]
    concurrent.futures.wait(futures)
    return [future.result() for future in futures]
