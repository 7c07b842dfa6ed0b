# expect-fail: test_fetch_stock_uses_the_session: When it returned, the session it was given was closed
# expect-fail: test_fetch_stock_lets_the_loop_run: not `async with session`
# expect-pass: test_lookup_all_runs_lookups_at_once
# visible-fail: test_fetch_stock_leaves_the_session_open: the session it was given was closed
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
    async with session, session.get(url) as response:
        data = await response.json()
    return data["in_stock"]


async def read_settings(path):
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    return parse_settings(text)


async def lookup_all(legacy_lookup, keys):
    return await asyncio.gather(
        *(asyncio.to_thread(legacy_lookup, key) for key in keys)
    )
