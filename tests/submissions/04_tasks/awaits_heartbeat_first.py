# expect-fail: test_with_heartbeat_beats_while_the_job_runs: it awaited the heartbeat task right after creating it
# expect-fail: test_notify_sends_in_the_background: it waited for the send
# expect-pass: test_heartbeat_stops_when_cancelled
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    try:
        await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        raise
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        await send("stopped")
        raise


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    await beating  # a heartbeat never ends
    result = await job()
    return result


async def notify(send, message, failures):
    try:
        await send(message)  # waits for the send: not in the background
    except Exception as error:
        failures.append(error)
