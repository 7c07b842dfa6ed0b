# expect-fail: test_fetch_named_raises_and_cancels_the_rest: nothing ever read that exception
# expect-pass: test_fetch_named_runs_tasks_together
# expect-pass: test_notify_keeps_a_failed_sends_exception
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    for next_done in asyncio.as_completed(tasks):
        await next_done  # raises the first failure; another one that failed with it is never read
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
    beating = asyncio.create_task(heartbeat(send, interval), name="heartbeat")
    try:
        return await job()
    finally:
        beating.cancel()
        await asyncio.wait([beating])


async def notify(send, message, failures):
    async def deliver():
        try:
            await send(message)
        except Exception as error:
            failures.append(error)

    task = asyncio.create_task(deliver())
    background.add(task)
    task.add_done_callback(background.discard)
