# expect-fail: test_with_heartbeat_stops_it_when_the_job_fails: the code that stops the heartbeat never ran
# expect-fail: test_notify_keeps_a_failed_sends_exception: nothing ever read the task's exception
# expect-pass: test_with_heartbeat_beats_while_the_job_runs
# visible-fail: test_with_heartbeat_stops_it_when_the_job_fails: Put the cancel (and the wait) in a `finally:`
# expect-pass: test_notify_forgets_finished_tasks
import asyncio

background = set()


async def fetch_named(fetch, items):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(item), name=f"fetch {item}") for item in items]
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
    result = await job()  # if the job fails, the heartbeat is never stopped
    beating.cancel()
    await asyncio.wait([beating])
    return result


async def notify(send, message, failures):
    async def deliver():
        try:
            await send(message)
        except Exception as error:
            error.add_note(f"while sending {message!r}")
            raise  # into a task that nobody awaits

    task = asyncio.ensure_future(deliver())
    background.add(task)
    task.add_done_callback(background.discard)
