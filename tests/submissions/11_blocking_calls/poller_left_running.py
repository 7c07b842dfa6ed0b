# expect-fail: test_wait_until_ready_checks_every_interval: It returned while 1 task(s) it started were still running (poll())
# expect-fail: test_wait_until_ready_returns_at_once_when_ready: a task goes on checking and pausing after the answer was given
# visible-fail: test_wait_until_ready_leaves_no_task_running: task(s) it started were still running (poll())
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
    ready = asyncio.Event()
    checks = 0

    async def poll():
        nonlocal checks
        while True:
            checks += 1
            if is_ready():
                ready.set()
            await asyncio.sleep(interval)

    asyncio.create_task(poll())
    await ready.wait()
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
