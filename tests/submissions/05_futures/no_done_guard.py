# expect-fail: test_from_callback_ignores_a_late_answer: it set a future that was already done
# expect-fail: test_first_message_survives_a_burst: it set a future that was already done
# visible-fail: test_from_callback_ignores_an_answer_after_cancel: raised InvalidStateError
# visible-fail: test_first_message_returns_the_first_and_unsubscribes: raised InvalidStateError
import asyncio


async def from_callback(start, request):
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def on_done(error, result):
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    start(request, on_done)
    return await future


async def first_message(subscribe, channel):
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    unsubscribe = subscribe(channel, future.set_result)
    try:
        return await future
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
