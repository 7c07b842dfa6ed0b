# expect: pass
import asyncio


async def from_callback(start, request):
    answered = asyncio.Event()
    outcome = []

    def on_done(error, result):
        if not outcome:  # keep the first answer only
            outcome.append((error, result))
            answered.set()

    start(request, on_done)
    await answered.wait()
    error, result = outcome[0]
    if error is not None:
        raise error
    return result


async def first_message(subscribe, channel):
    inbox = asyncio.Queue()
    unsubscribe = subscribe(channel, inbox.put_nowait)
    try:
        return await inbox.get()
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    # Each worker thread of to_thread waits on one future; the event loop stays free.
    return await asyncio.gather(*(asyncio.to_thread(future.result) for future in futures))
