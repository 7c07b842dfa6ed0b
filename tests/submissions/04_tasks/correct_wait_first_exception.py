# expect: pass
import asyncio

running = {}  # id -> task: notify's tasks while they run


async def fetch_named(fetch, items):
    tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)  # until they have stopped
    for task in done:
        if task.exception() is not None:
            raise task.exception()  # wait(FIRST_EXCEPTION) has read every failure already
    return {task.get_name(): task.result() for task in tasks}


async def heartbeat(send, interval):
    try:
        while True:
            await send("beat")
            await asyncio.sleep(interval)
    finally:
        await send("stopped")


async def with_heartbeat(job, send, interval):
    beating = asyncio.create_task(heartbeat(send, interval))
    try:
        result = await job()
    except BaseException:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
        raise
    beating.cancel()
    try:
        await beating
    except asyncio.CancelledError:
        pass
    return result


async def notify(send, message, failures):
    async def deliver():
        try:
            await send(message)
        except Exception as error:
            failures.append(error)
        finally:
            del running[id(asyncio.current_task())]

    task = asyncio.create_task(deliver())
    running[id(task)] = task
