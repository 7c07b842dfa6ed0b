# expect: pass
import asyncio
import functools
import json


def parse_settings(text):
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    return settings


async def wait_until_ready(is_ready, interval):
    never = asyncio.Event()
    checks = 1
    while not is_ready():
        try:
            await asyncio.wait_for(never.wait(), timeout=interval)
        except TimeoutError:
            pass
        checks += 1
    return checks


async def fetch_stock(session, url):
    async with session.request("GET", url) as response:
        text = await response.text()
    return json.loads(text)["in_stock"]


async def read_settings(path):
    loop = asyncio.get_running_loop()
    read = functools.partial(path.read_text, encoding="utf-8")
    return parse_settings(await loop.run_in_executor(None, read))


async def lookup_all(legacy_lookup, keys):
    tasks = [
        asyncio.ensure_future(asyncio.to_thread(legacy_lookup, key)) for key in keys
    ]
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]
