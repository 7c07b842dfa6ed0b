# expect-fail: test_heartbeat_stops_when_cancelled: it swallowed the CancelledError
# expect-pass: test_heartbeat_beats_at_once_then_every_interval
# expect-pass: test_with_heartbeat_beats_while_the_job_runs
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = {f"fetch {item}": asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items}
    try:
        return dict(zip(tasks, await asyncio.gather(*tasks.values())))
    except Exception:
        for task in tasks.values():
            task.cancel()
        raise


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        await send("stopped")
        return  # "handled": the cancellation is swallowed


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        return await job()
    finally:
        beating.cancel()
        await beating


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)

    def done(task):
        background.discard(task)
        if not task.cancelled() and task.exception():
            failures.append(task.exception())

    task.add_done_callback(done)
