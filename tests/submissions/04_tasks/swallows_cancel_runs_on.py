# expect-fail: test_heartbeat_stops_when_cancelled: It kept beating after it was cancelled
# expect-fail: test_with_heartbeat_beats_while_the_job_runs: your heartbeat catches its CancelledError and runs on
# expect-pass: test_heartbeat_beats_at_once_then_every_interval
import asyncio

background = set()


async def fetch_named(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(item), name=f"fetch {item}") for item in items]
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    while True:
        try:
            await send("beat")
            await asyncio.sleep(interval)
        except asyncio.CancelledError:
            await send("stopped")  # ... and the loop goes on


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        return await job()
    finally:
        beating.cancel()
        await asyncio.wait([beating])


async def notify(send, message, failures):
    async def deliver():
        try:
            await send(message)
        except Exception as error:
            failures.append(error)

    task = asyncio.create_task(deliver())
    background.add(task)
    task.add_done_callback(background.discard)
