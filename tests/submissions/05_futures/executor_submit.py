# expect-fail: test_pool_results_never_blocks_the_loop: It returned future objects instead of the jobs' results
# expect-fail: test_pool_results_raises_a_failed_job: It returned future objects
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
    loop = asyncio.get_running_loop()
    # submit in the default executor, so nothing blocks the loop
    return await asyncio.gather(
        *(loop.run_in_executor(None, submit, job) for job in jobs)
    )
