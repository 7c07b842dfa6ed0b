# expect-fail: test_with_heartbeat_beats_while_the_job_runs: awaiting the cancelled heartbeat task raises
# expect-fail: test_with_heartbeat_stops_it_when_the_job_fails: Nobody cancelled with_heartbeat, yet
# expect-pass: test_heartbeat_stops_when_cancelled
# expect-pass: test_notify_keeps_a_failed_sends_exception
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    try:
        await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        raise
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        await send("stopped")
        raise


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        return await job()
    finally:
        beating.cancel()
        await (
            beating
        )  # waits until it has stopped... and raises its CancelledError here


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(background.discard)
    task.add_done_callback(
        lambda t: (
            t.cancelled() or t.exception() is None or failures.append(t.exception())
        )
    )
