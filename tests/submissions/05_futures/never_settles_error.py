# expect-fail: test_from_callback_raises_the_error: Nothing settled the future on this error path
# expect-fail: test_from_callback_handles_an_answer_at_once[error]: the future it awaits was never resolved
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    def on_done(error, result):
        if future.done():
            return
        if error is None:
            future.set_result(result)
        # an error: nothing to return, so nothing to do?

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
