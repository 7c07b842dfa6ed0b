# expect-fail: test_fetch_named_runs_tasks_together: each task was awaited right after it was created
# expect-fail: test_fetch_named_raises_and_cancels_the_rest: the fetches did not all start at once
# expect-pass: test_fetch_named_names_each_task
# expect-pass: test_heartbeat_stops_when_cancelled
# expect-pass: test_notify_sends_in_the_background
import asyncio

background = set()


async def fetch_named(fetch, items):
    results = {}
    for item in items:
        task = asyncio.create_task(fetch(item), name=f"fetch {item}")
        results[task.get_name()] = await task  # awaited right after creating it
    return results


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
        try:
            await beating
        except asyncio.CancelledError:
            pass


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(background.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or failures.append(t.exception()))
