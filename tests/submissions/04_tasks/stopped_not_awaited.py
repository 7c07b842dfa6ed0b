# expect-fail: test_heartbeat_stops_when_cancelled: It called send('stopped') but never awaited it
# expect-fail: test_with_heartbeat_beats_while_the_job_runs: It called send('stopped') but never awaited it
# expect-pass: test_heartbeat_beats_at_once_then_every_interval
# expect-pass: test_fetch_named_names_each_task
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = {
        item: asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items
    }
    try:
        results = await asyncio.gather(*tasks.values())
    except BaseException:
        for task in tasks.values():
            task.cancel()
        raise
    return {f"fetch {item}": result for item, result in zip(tasks, results)}


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    except asyncio.CancelledError:
        send("stopped")  # forgot the await: the coroutine is made, never run
        raise


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        return await job()
    finally:
        beating.cancel()
        try:
            await beating
        except asyncio.CancelledError:
            pass


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(background.discard)
    task.add_done_callback(
        lambda t: (
            None
            if t.cancelled() or t.exception() is None
            else failures.append(t.exception())
        )
    )
