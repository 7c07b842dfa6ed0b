# expect-fail: test_from_callback_returns_the_result: your callback only returned a coroutine object
# expect-fail: test_first_message_returns_the_first: your callback only returned a coroutine object
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    async def on_done(error, result):
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    start(request, on_done)
    return await future


async def first_message(subscribe, channel):
    queue = asyncio.Queue()

    async def on_message(message):
        await queue.put(message)

    unsubscribe = subscribe(channel, on_message)
    try:
        return await queue.get()
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
