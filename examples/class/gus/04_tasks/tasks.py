"""Exercise 04: run work in the background with asyncio.create_task, and cancel it.

Read README.md in this folder first. Each function receives its I/O as a parameter:

- `fetch(item)` is an async function: `await fetch(item)` returns the result for one item
  after a while (or raises an exception).
- `send(message)` is an async function that sends one message (`await send("beat")`).
- `job()` is an async function: `await job()` does a long job and returns its result.
"""

import asyncio  # you will need it

# notify's fire-and-forget tasks live here while they run (see notify's TODO).
background = set()


async def fetch_named(fetch, items):
    """Fetch every item in its own task, named "fetch <item>" (item "kiwi": task "fetch kiwi"),
    all at the same time. Return a dict {task name: result}.

    If a fetch fails, cancel the tasks still running and raise its exception.
    """
    # TODO: create every task first (with its name), then await them all.
    raise NotImplementedError


async def heartbeat(send, interval):
    """Send "beat" at once, then again every `interval` seconds, until cancelled.

    When cancelled, send "stopped", then let the cancellation go on: the task must end
    cancelled.
    """
    # TODO: loop forever: send, sleep. Catch CancelledError to send "stopped", then re-raise it.
    raise NotImplementedError


async def with_heartbeat(job, send, interval):
    """Await job() while heartbeat(send, interval) runs in the background. When the job is
    done, or has failed, cancel the heartbeat and wait until it has stopped. Return the
    job's result (or let its exception out).
    """
    # TODO: start the heartbeat as a task, await the job, and stop the heartbeat in a finally.
    raise NotImplementedError


async def notify(send, message, failures):
    """Start send(message) as a background task and return at once, without waiting for it.

    Keep a reference to the task (in `background`) until it is done, then drop it. If the
    send fails, append its exception to the list `failures`.
    """
    # TODO: create the task, add it to background, and add a done callback that discards it
    #       and appends a failed task's exception to failures.
    raise NotImplementedError
