# expect-fail: test_read_settings_reads_a_slow_file: It raised InvalidStateError: Result is not set
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
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, path.read_text)
    return parse_settings(future.result())


async def lookup_all(legacy_lookup, keys):
    return await asyncio.gather(
        *(asyncio.to_thread(legacy_lookup, key) for key in keys)
    )
