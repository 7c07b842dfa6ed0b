"""Exercise 11: blocking calls made safe.

Read README.md in this folder first. Each function is the async port of a piece of
legacy, blocking code, shown in its docstring. Port it so that the event loop never
waits for it: use the async equivalent where one exists (asyncio.sleep, aiohttp), and
a worker thread, awaited, where none does (asyncio.to_thread).

The blocking pieces are passed in (`is_ready`, `session`, `path`, `legacy_lookup`), so
the tests can hand you fakes that note which thread ran them and whether the event
loop kept ticking meanwhile.
"""

import asyncio  # noqa: F401  (you will need it)


def parse_settings(text):
    """Settings from `key = value` lines; blank lines and `#` comments are skipped.

    Already written: it only computes, so it does not block.
    """
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


async def wait_until_ready(is_ready, interval):
    """Call `is_ready()` now and then every `interval` seconds until it returns True;
    return how many times it was called.

    The legacy version:

        def wait_until_ready(is_ready, interval):
            checks = 1
            while not is_ready():
                time.sleep(interval)
                checks += 1
            return checks
    """
    # TODO: the same loop, pausing without blocking (asyncio has its own sleep).
    raise NotImplementedError


async def fetch_stock(session, url):
    """GET `url`, a JSON page like {"item": "kiwi", "in_stock": 12}; return its "in_stock".

    `session` is an aiohttp.ClientSession: use it (don't close it). The legacy version:

        def fetch_stock(url):
            response = requests.get(url, timeout=10)
            return response.json()["in_stock"]
    """
    # TODO: the same request with the aiohttp session you are given.
    raise NotImplementedError


async def read_settings(path):
    """Read the text file at `path` (a pathlib.Path, UTF-8) and return parse_settings(text).

    The legacy version:

        def read_settings(path):
            with open(path, encoding="utf-8") as file:
                return parse_settings(file.read())
    """
    # TODO: read the file without blocking the loop (aiofiles, or a worker thread).
    raise NotImplementedError


async def lookup_all(legacy_lookup, keys):
    """Call the slow, blocking `legacy_lookup(key)` for every key, all at the same time,
    each in a worker thread; return the results in the order of `keys`.

    The legacy version:

        def lookup_all(legacy_lookup, keys):
            return [legacy_lookup(key) for key in keys]
    """
    # TODO: run every lookup in a worker thread, all at once, and await them together.
    raise NotImplementedError
