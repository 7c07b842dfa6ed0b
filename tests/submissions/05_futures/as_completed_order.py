# expect-fail: test_pool_results_runs_jobs_together: They are in the order the jobs finished, not in the order of jobs
# expect-pass: test_pool_results_never_blocks_the_loop
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    def on_done(error, result):
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    start(request, on_done)
    return await future


async def first_message(subscribe, channel):
    future = asyncio.get_running_loop().create_future()

    def on_message(message):
        if not future.done():
            future.set_result(message)

    unsubscribe = subscribe(channel, on_message)
    try:
        return await future
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [asyncio.wrap_future(submit(job)) for job in jobs]
    results = []
    for next_done in asyncio.as_completed(futures):
        results.append(await next_done)
    return results
