# expect-fail: test_heartbeat_beats_at_once_then_every_interval: the first beat at once
# expect-fail: test_heartbeat_stops_when_cancelled: never sent "stopped"
# expect-fail: test_with_heartbeat_beats_while_the_job_runs: no beat was sent during it
# expect-fail: test_fetch_named_raises_and_cancels_the_rest: left the tasks of 'kiwi', 'pear' running
import asyncio

background = set()


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    await asyncio.gather(*tasks)  # a failure leaves the other tasks running
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    while True:
        await asyncio.sleep(interval)  # the first beat only after one interval
        await send("beat")


async def with_heartbeat(job, send, interval):
    result = await job()
    beating = asyncio.create_task(heartbeat(send, interval))
    beating.cancel()
    return result


async def notify(send, message, failures):
    task = asyncio.create_task(send(message))
    background.add(task)
    task.add_done_callback(background.discard)
    task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or failures.append(t.exception()))
