# expect-fail: test_from_callback_ignores_a_late_answer: A callback your code scheduled on the loop raised
# expect-fail: test_first_message_survives_a_burst: A callback your code scheduled on the loop raised: "Exception in callback Future.set_result(
# expect-pass: test_from_callback_returns_the_result
# visible-fail: test_from_callback_ignores_an_answer_after_cancel: A callback you scheduled failed in the event loop
# visible-fail: test_first_message_returns_the_first_and_unsubscribes: InvalidStateError
import asyncio


async def from_callback(start, request):
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def on_done(error, result):
        # hand the answer to the loop; it sets the future on its next turn
        if error is not None:
            loop.call_soon_threadsafe(future.set_exception, error)
        else:
            loop.call_soon_threadsafe(future.set_result, result)

    start(request, on_done)
    return await future


async def first_message(subscribe, channel):
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    unsubscribe = subscribe(
        channel, lambda message: loop.call_soon(future.set_result, message)
    )
    try:
        return await future
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
