# expect: pass
import asyncio


def _read(path):
    with open(path, encoding="utf-8") as file:
        return file.read()


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
    return parse_settings(await asyncio.to_thread(_read, path))


async def lookup_all(legacy_lookup, keys):
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(asyncio.to_thread(legacy_lookup, key)) for key in keys
        ]
    return [task.result() for task in tasks]
