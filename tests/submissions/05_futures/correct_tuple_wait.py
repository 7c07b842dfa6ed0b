# expect: pass
import asyncio


async def from_callback(start, request):
    future = asyncio.get_running_loop().create_future()

    def on_done(error, result):
        if not future.done():
            future.set_result((error, result))  # unpacked once awaited

    start(request, on_done)
    error, result = await future
    if error is not None:
        raise error
    return result


async def first_message(subscribe, channel):
    future = asyncio.get_running_loop().create_future()
    unsubscribe = subscribe(
        channel, lambda message: future.done() or future.set_result(message)
    )
    try:
        return await asyncio.shield(future)
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    pool_futures = [submit(job) for job in jobs]
    waiting = [asyncio.wrap_future(f) for f in pool_futures]
    if waiting:
        await asyncio.wait(waiting, return_when=asyncio.FIRST_EXCEPTION)
    for future in waiting:
        if future.done() and future.exception() is not None:
            for other in waiting:
                other.cancel()
            raise future.exception()
    return [f.result() for f in pool_futures]  # all done: result() does not block
