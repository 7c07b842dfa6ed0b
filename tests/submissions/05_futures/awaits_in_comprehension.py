# expect-fail: test_pool_results_runs_jobs_together: It submitted each job only after the one before had finished
# visible-fail: test_pool_results_runs_jobs_together: The jobs ran one after another
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
    return [await asyncio.wrap_future(submit(job)) for job in jobs]
