# expect-fail: test_with_heartbeat_beats_while_the_job_runs: cancel() only asks a task to stop
# expect-fail: test_with_heartbeat_stops_it_when_the_job_fails: It cancelled heartbeat() but returned at 2.5 s
# expect-pass: test_fetch_named_names_each_task
# expect-pass: test_heartbeat_stops_when_cancelled
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item)) for item in items]  # no names
    for task, item in zip(tasks, items):
        task.set_name(f"fetch {item}")
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
    finally:
        await send("stopped")


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        return await job()
    finally:
        beating.cancel()  # asked to stop, but not waited for


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(background.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or failures.append(t.exception()))
