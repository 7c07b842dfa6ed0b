# expect: pass
import asyncio

_keep = set()


async def fetch_named(fetch, items):
    async with asyncio.TaskGroup() as group:  # cancels the rest when one fails
        tasks = [group.create_task(fetch(item), name=f"fetch {item}") for item in items]
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    while True:
        try:
            await send("beat")
            await asyncio.sleep(interval)
        except asyncio.CancelledError:
            await send("stopped")
            raise


async def with_heartbeat(job, send, interval):
    async with asyncio.TaskGroup() as group:
        beating = group.create_task(heartbeat(send, interval), name="heartbeat")
        try:
            return await job()
        finally:
            beating.cancel()  # the group waits for it to stop


def _finished(task, failures):
    _keep.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        failures.append(error)


async def notify(send, message, failures):
    task = asyncio.get_running_loop().create_task(send(message), name=f"notify {message!r}")
    _keep.add(task)
    task.add_done_callback(lambda done: _finished(done, failures))
