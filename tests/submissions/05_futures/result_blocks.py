# expect-fail: test_pool_results_never_blocks_the_loop: it called .result() on the concurrent.futures.Future of job 'thumbnails' while that job was still running
# visible-fail: test_pool_results_runs_jobs_together: `await asyncio.wrap_future(future)` waits without blocking it
# Reads each concurrent.futures future's result in the loop's own thread.
import asyncio


async def from_callback(start, request):
    """Start the operation with a callback; return its result, or raise its error."""
    future = (
        asyncio.get_running_loop().create_future()
    )  # before start: it may answer at once

    def on_done(error, result):
        if (
            future.done()
        ):  # our caller gave up (the future was cancelled): nobody is waiting
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    start(request, on_done)
    return await future


async def first_message(subscribe, channel):
    """Return the first message published on the channel; unsubscribe before returning."""
    future = asyncio.get_running_loop().create_future()

    def on_message(message):
        if not future.done():  # later messages (even in the same instant) are not ours
            future.set_result(message)

    unsubscribe = subscribe(channel, on_message)
    try:
        return await future
    finally:  # also when our caller cancels us
        unsubscribe()


async def pool_results(submit, jobs):
    """Submit every job to the pool, then await all their results without blocking the loop."""
    futures = [submit(job) for job in jobs]
    return [future.result() for future in futures]
