# expect-fail: test_notify_sends_in_the_background: the garbage collector ran and destroyed the task
# expect-fail: test_notify_forgets_finished_tasks: The message was never delivered
# expect-pass: test_notify_keeps_a_failed_sends_exception
# expect-pass: test_with_heartbeat_stops_it_when_the_job_fails
import asyncio


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
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
        await asyncio.wait([beating])


def _report(task, failures):
    if not task.cancelled() and task.exception() is not None:
        failures.append(task.exception())


async def notify(send, message, failures):
    # fire and forget: nothing keeps the task alive
    task = asyncio.create_task(send(message))
    task.add_done_callback(lambda t: _report(t, failures))
