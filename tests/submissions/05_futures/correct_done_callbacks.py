# expect: pass
import asyncio


async def from_callback(start, request):
    loop = asyncio.get_running_loop()
    future = asyncio.Future(loop=loop)

    def on_done(error, result):
        if future.cancelled():
            return  # our caller stopped waiting
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    start(request, on_done)
    return await future


async def first_message(subscribe, channel):
    future = asyncio.get_running_loop().create_future()
    unsubscribe = None

    def on_message(message):
        if future.done():
            return
        future.set_result(message)

    unsubscribe = subscribe(channel, on_message)
    try:
        return await future
    finally:
        unsubscribe()


def _awaitable(pool_future, loop):
    """What asyncio.wrap_future does, by hand: copy the outcome into an asyncio future."""
    mine = loop.create_future()

    def copy(done):
        if mine.done():
            return
        if done.exception() is not None:
            mine.set_exception(done.exception())
        else:
            mine.set_result(done.result())

    pool_future.add_done_callback(lambda done: loop.call_soon_threadsafe(copy, done))
    return mine


async def pool_results(submit, jobs):
    loop = asyncio.get_running_loop()
    futures = [_awaitable(submit(job), loop) for job in jobs]
    results = []
    for future in futures:  # all jobs are running already: awaiting in turn costs nothing
        results.append(await future)
    return results
