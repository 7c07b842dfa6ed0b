# expect-fail: test_fetch_named_raises_and_cancels_the_rest: the task 'fetch apple' also failed
# expect-fail: test_notify_keeps_a_failed_sends_exception: Task exception was never retrieved
# expect-pass: test_fetch_named_runs_tasks_together
# expect-pass: test_notify_sends_in_the_background
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    results = {}
    for task in tasks:
        results[task.get_name()] = await task  # in order: a later failure waits its turn
    return results


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
        await asyncio.wait([beating])


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(background.discard)  # but a failure is never looked at
