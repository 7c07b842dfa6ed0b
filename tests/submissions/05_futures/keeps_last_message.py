# expect-fail: test_first_message_survives_a_burst: It returned 'alarm 3', the last of them; expected the first, 'alarm 1'
# expect-pass: test_first_message_returns_the_first
import asyncio


async def from_callback(start, request):
    done = asyncio.Event()
    outcome = {}

    def on_done(error, result):
        outcome["error"], outcome["result"] = error, result
        done.set()

    start(request, on_done)
    await done.wait()
    if outcome["error"] is not None:
        raise outcome["error"]
    return outcome["result"]


async def first_message(subscribe, channel):
    arrived = asyncio.Event()
    latest = None

    def on_message(message):
        nonlocal latest
        latest = message
        arrived.set()

    unsubscribe = subscribe(channel, on_message)
    try:
        await arrived.wait()
        return latest
    finally:
        unsubscribe()


async def pool_results(submit, jobs):
    futures = [submit(job) for job in jobs]
    return await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
