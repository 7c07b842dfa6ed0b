# expect-fail: test_first_message_survives_a_burst: It returned 'alarm 3', the last of them
# expect-pass: test_first_message_unsubscribes
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
    arrived = asyncio.Event()
    box = {}

    def on_message(message):
        box["message"] = message
        arrived.set()

    unsubscribe = subscribe(channel, on_message)
    try:
        await arrived.wait()
        return box["message"]
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
