# expect-fail: test_wait_until_ready_checks_every_interval: It called is_ready() at 0.2, 0.4, 0.6 s of loop time
# expect-fail: test_wait_until_ready_returns_at_once_when_ready: no pause
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
    checks = 0
    while True:
        await asyncio.sleep(interval)
        checks += 1
        if is_ready():
            return checks


async def fetch_stock(session, url):
    async with session.get(url) as response:
        data = await response.json()
    return data["in_stock"]


async def read_settings(path):
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    return parse_settings(text)


async def lookup_all(legacy_lookup, keys):
    return await asyncio.gather(
        *(asyncio.to_thread(legacy_lookup, key) for key in keys)
    )
