# expect-fail: test_first_message_unsubscribes[cancelled]: It was still subscribed when its caller gave up and cancelled it
# expect-pass: test_first_message_unsubscribes[returns]
# visible-fail: test_first_message_unsubscribes_when_cancelled: without calling the unsubscribe function
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
    unsubscribe = None

    def on_message(message):
        if not future.done():
            future.set_result(message)
            unsubscribe()  # first message in: stop listening

    unsubscribe = subscribe(channel, on_message)
    return await future


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
