# expect-fail: test_notify_forgets_finished_tasks: its finished task was still referenced
# expect-pass: test_notify_sends_in_the_background
# expect-pass: test_notify_keeps_a_failed_sends_exception
# visible-fail: test_notify_sends_in_the_background: each notify leaves one more task behind
import asyncio

sent = []  # every notify task ever started


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    try:
        await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        raise
    return {task.get_name(): await task for task in tasks}


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
    try:
        return await job()
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)


async def notify(send, message, failures):
    async def deliver():
        try:
            await send(message)
        except Exception as error:
            failures.append(error)

    sent.append(asyncio.create_task(deliver()))  # kept, but never let go
