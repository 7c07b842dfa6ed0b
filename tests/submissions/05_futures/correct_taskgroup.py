# expect: pass
import asyncio


async def from_callback(start, request):
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(error, result):
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    # settle on the loop's next turn: safe even when start answers at once
    start(request, lambda error, result: loop.call_soon(settle, error, result))
    return await future


async def first_message(subscribe, channel):
    future = asyncio.get_running_loop().create_future()
    unsubscribe = None

    def on_message(message):
        if not future.done():
            future.set_result(message)
            if unsubscribe is not None:
                unsubscribe()  # no more messages, please

    unsubscribe = subscribe(channel, on_message)
    try:
        return await future
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    async def wait(pool_future):
        return await asyncio.wrap_future(pool_future)

    futures = [submit(job) for job in jobs]
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(wait(future)) for future in futures]
    return [task.result() for task in tasks]
