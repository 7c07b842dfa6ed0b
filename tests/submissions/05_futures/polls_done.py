# expect-fail: test_pool_results_never_blocks_the_loop: it waited longer than the jobs took (polling, or sleeping a fixed time)
# visible-fail: test_pool_results_runs_jobs_together: your code looked at them only later (polling done())
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
    futures = [submit(job) for job in jobs]
    while not all(future.done() for future in futures):
        await asyncio.sleep(0.03)  # check again in a moment
    return [future.result() for future in futures]
