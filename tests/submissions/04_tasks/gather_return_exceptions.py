# expect-fail: test_fetch_named_raises_and_cancels_the_rest: it was waiting for other tasks first
# expect-pass: test_fetch_named_runs_tasks_together
# expect-pass: test_with_heartbeat_stops_it_when_the_job_fails
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return {task.get_name(): result for task, result in zip(tasks, results)}


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
        await asyncio.wait({beating})


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)

    def done(task):
        background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())

    task.add_done_callback(done)
