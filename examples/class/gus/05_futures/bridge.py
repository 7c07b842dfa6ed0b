"""Exercise 05: turn APIs that do not speak async into something you can await.

Read README.md in this folder first. Each function receives the API it talks to:

- `start(request, on_done)` starts an operation and returns None at once. When the
  operation ends, the event loop calls `on_done(error, result)`, once:
  `on_done(None, result)` on success, `on_done(error, None)` on failure (error is an
  exception object). It may also call on_done at once, inside start (a cached answer).
- `subscribe(channel, on_message)` calls `on_message(message)` for every message
  published on the channel, until you call the `unsubscribe` function it returns.
- `submit(job)` hands a job to a pool of worker threads and returns a
  `concurrent.futures.Future` at once; the job's result arrives in it later.
"""

import asyncio  # noqa: F401  (you will need it)


async def from_callback(start, request):
    """Start the operation with start(request, on_done) and wait for on_done to be called.

    Return the result it reports, or raise the error it reports.
    """
    # TODO: create a future, pass start a callback that settles it, await the future.
    raise NotImplementedError


async def first_message(subscribe, channel):
    """Return the first message published on `channel`.

    Unsubscribe before returning, and also when your caller cancels you.
    """
    # TODO: resolve a future with the first message; unsubscribe in a finally block.
    raise NotImplementedError


async def pool_results(submit, jobs):
    """Submit every job with submit(job), then return their results in the order of `jobs`.

    The jobs run in the pool at the same time. Never block the event loop while they
    run. If a job fails, raise its exception.
    """
    # TODO: submit all the jobs, then await their futures without blocking.
    raise NotImplementedError
