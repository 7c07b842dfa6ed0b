# expect-fail: test_from_callback_ignores_a_late_answer: it set a future that was already done
# expect-pass: test_from_callback_raises_the_error
# visible-fail: test_from_callback_ignores_an_answer_after_cancel: raised InvalidStateError
import asyncio
import concurrent.futures


async def from_callback(start, request):
    answer = concurrent.futures.Future()

    def on_done(error, result):
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result)

    start(request, on_done)
    return await asyncio.wrap_future(answer)


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
