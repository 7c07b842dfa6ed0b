# expect-fail: test_from_callback_handles_an_answer_at_once: start called back at once
# expect-pass: test_from_callback_returns_the_result
# visible-fail: test_from_callback_handles_an_answer_at_once: Create the future first
import asyncio


async def from_callback(start, request):
    def on_done(error, result):
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    start(request, on_done)
    future = asyncio.get_running_loop().create_future()
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
