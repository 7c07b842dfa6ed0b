# expect-fail: test_notify_keeps_a_failed_sends_exception: expected [ConnectionError: mail server down]: the exception object itself
# expect-pass: test_fetch_named_raises_and_cancels_the_rest
# expect-pass: test_with_heartbeat_stops_it_when_the_job_fails
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = []
    for item in items:
        task = asyncio.create_task(fetch(item))
        task.set_name(f"fetch {item}")
        tasks.append(task)
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    errors = [task.exception() for task in done if task.exception() is not None]
    if errors:
        raise errors[0]
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
    try:
        return await job()
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)


async def _send(send, message, failures):
    try:
        await send(message)
    except Exception as error:
        failures.append(RuntimeError(f"send failed: {error}"))


async def notify(send, message, failures):
    task = asyncio.create_task(_send(send, message, failures))
    background.add(task)
    task.add_done_callback(background.discard)
