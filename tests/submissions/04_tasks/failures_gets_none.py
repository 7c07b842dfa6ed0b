# expect-fail: test_notify_sends_in_the_background: failures is [None]
# expect-pass: test_notify_keeps_a_failed_sends_exception
# expect-pass: test_heartbeat_stops_when_cancelled
import asyncio

background = set()


async def fetch_named(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(item), name=f"fetch {item}") for item in items]
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    finally:
        await send("stopped")


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        return await job()
    finally:
        beating.cancel()
        await asyncio.wait([beating])


def _done(task, failures):
    background.discard(task)
    failures.append(task.exception())  # None when the send worked


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(lambda t: _done(t, failures))
