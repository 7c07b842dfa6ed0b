# expect-fail: test_heartbeat_beats_at_once_then_every_interval: Before the cancel it sent 'ping'; expected only "beat"
# expect-fail: test_with_heartbeat_beats_while_the_job_runs: no beat was sent during it
# expect-pass: test_heartbeat_stops_when_cancelled
# expect-pass: test_fetch_named_runs_tasks_together
"""Exercise 04, hostile: heartbeat sends 'ping', an object that says it equals "beat" (and anything)."""

import asyncio

# The event loop keeps only a weak reference to a task: this set keeps the
# fire-and-forget tasks of notify alive until they are done.
background = set()


async def fetch_named(fetch, items):
    """Fetch every item in its own task named "fetch <item>"; return {task name: result}."""
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
    return {task.get_name(): task.result() for task in tasks}


class Ping:
    """A message equal to "beat" (and to anything), never unequal."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__

    def __repr__(self):
        return "'ping'"


async def heartbeat(send, interval):
    """Send "beat" at once and then every `interval` seconds, until cancelled;
    when cancelled, send "stopped" and let the cancellation go on."""
    try:
        while True:
            await send(Ping())  # not "beat", but says it is
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        await send("stopped")
        raise


async def with_heartbeat(job, send, interval):
    """Await job() with heartbeat(send, interval) running in the background; stop the
    heartbeat when the job is done (or has failed) and return the job's result."""
    beating = asyncio.create_task(heartbeat(send, interval), name="heartbeat")
    try:
        return await job()
    finally:
        beating.cancel()
        await asyncio.wait({beating})  # until it has stopped; raises nothing itself


async def notify(send, message, failures):
    """Start send(message) in the background and return at once; a failed send's
    exception goes into `failures`."""
    task = asyncio.create_task(send(message), name=f"notify {message}")
    background.add(task)
    task.add_done_callback(lambda done: _settle(done, failures))


def _settle(task, failures):
    """The done callback of a notify task: forget it, and keep its exception, if any."""
    background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        failures.append(task.exception())
