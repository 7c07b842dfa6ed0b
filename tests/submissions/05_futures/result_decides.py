# expect-fail: test_from_callback_returns_a_result_of_none: Your code took that for a failure and raised TypeError
# expect-pass: test_from_callback_raises_the_error
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    def on_done(error, result):
        if future.done():
            return
        if result is not None:
            future.set_result(result)
        else:
            future.set_exception(error)

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
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
