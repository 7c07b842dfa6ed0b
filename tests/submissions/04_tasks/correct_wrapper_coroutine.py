# expect: pass
import asyncio
import contextlib

background = set()


async def fetch_named(fetch, items):
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(fetch(item), name=f"fetch {item}") for item in items]
    try:
        results = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # reads every outcome
    return dict(zip((task.get_name() for task in tasks), results))


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    finally:
        await send("stopped")


async def with_heartbeat(job, send, interval):
    beating = asyncio.ensure_future(heartbeat(send, interval))
    try:
        result = await job()
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    return result


async def _deliver(send, message, failures):
    try:
        await send(message)
    except Exception as error:
        failures.append(error)


async def notify(send, message, failures):
    task = asyncio.create_task(_deliver(send, message, failures))
    background.add(task)
    task.add_done_callback(background.discard)
