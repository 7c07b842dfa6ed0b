# expect: pass
import asyncio
import concurrent.futures


async def from_callback(start, request):
    answer = concurrent.futures.Future()  # thread-safe box, bridged to asyncio below

    def on_done(error, result):
        if answer.done():  # cancelled: our caller gave up
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result)

    start(request, on_done)
    return await asyncio.wrap_future(answer)


class _FirstOnly:
    """Keeps the first message in a future; later ones are ignored."""

    def __init__(self):
        self.future = asyncio.get_running_loop().create_future()

    def __call__(self, message):
        if not self.future.done():
            self.future.set_result(message)


async def first_message(subscribe, channel):
    listener = _FirstOnly()
    unsubscribe = subscribe(channel, listener)
    try:
        return await listener.future
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    loop = asyncio.get_running_loop()
    futures = [submit(job) for job in jobs]
    # a worker thread of the loop's default executor waits on each future
    return await asyncio.gather(
        *(loop.run_in_executor(None, f.result) for f in futures)
    )
