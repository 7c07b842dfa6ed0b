# expect-fail: test_fetch_named_names_each_task: ran in a task named 'Task-
# expect-fail: test_fetch_named_raises_and_cancels_the_rest: left the tasks of 'kiwi', 'pear' running
# expect-pass: test_fetch_named_runs_tasks_together
import asyncio

background = set()


async def fetch_named(fetch, items):
    results = await asyncio.gather(*(fetch(item) for item in items))  # gather names its own tasks
    return {f"fetch {item}": result for item, result in zip(items, results)}


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
    task.add_done_callback(background.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or failures.append(t.exception()))
