# expect-fail: test_from_callback_raises_the_error: It returned the exception object instead of raising it
# expect-fail: test_pool_results_raises_a_failed_job: It returned its exception in the list instead of raising it
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    def on_done(error, result):
        if not future.done():
            future.set_result(result if error is None else error)

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
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures), return_exceptions=True)
