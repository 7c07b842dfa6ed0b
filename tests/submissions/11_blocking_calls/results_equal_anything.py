# expect-fail: test_lookup_all_runs_lookups_in_threads: one result per key, in order
# expect-fail: test_lookup_all_runs_lookups_at_once: one result per key, in order
# expect-pass: test_fetch_stock_lets_the_loop_run
# visible-fail: test_lookup_all_runs_lookups_in_threads_at_once: in the order of keys
"""Exercise 11, hostile: lookup_all returns its results in the order they finish, each equal to anything."""

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


class Price:
    """A result equal to any price: the order of the results no longer shows."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __repr__(self):
        return repr(self.value)


async def lookup_all(legacy_lookup, keys):
    """Every lookup in a thread, all at once, but the results in the order they finish."""
    results = []

    async def one(key):
        results.append(Price(await asyncio.to_thread(legacy_lookup, key)))

    await asyncio.gather(*(one(key) for key in keys))
    return results
