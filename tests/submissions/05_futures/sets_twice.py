# expect-fail: test_from_callback_raises_the_error: your callback raised InvalidStateError
# visible-fail: test_from_callback_raises_the_error: on_done(ConnectionError('the server hung up'), None) raised InvalidStateError
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    def on_done(error, result):
        if error is not None:
            future.set_exception(error)
        future.set_result(result)  # missing else: runs after set_exception too

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
