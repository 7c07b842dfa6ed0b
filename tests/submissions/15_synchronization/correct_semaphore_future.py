# expect: pass
# A Semaphore(1) as the lock, the statements' places taken before each task is started (and
# given back in the task's finally), and a Future that every teller awaits for the doors.
import asyncio


async def pay_all(ledger, payments):
    one_at_a_time = asyncio.Semaphore(1)

    async def pay(account, amount):
        async with one_at_a_time:
            balance = await ledger.read_balance(account)
            paid = balance >= amount
            if paid:
                await ledger.write_balance(account, balance - amount)
        if paid:
            await ledger.notify(account, amount)
        return paid

    tasks = [asyncio.create_task(pay(account, amount)) for account, amount in payments]
    return [await task for task in tasks]


async def fetch_statements(fetch_statement, accounts, limit):
    places = asyncio.Semaphore(limit)

    async def fetch(account):
        try:
            return await fetch_statement(account)
        except Exception as error:  # noqa: BLE001  (its place in the list)
            return error
        finally:
            places.release()

    tasks = []
    for account in accounts:
        await places.acquire()  # waits here while `limit` fetches run
        tasks.append(asyncio.create_task(fetch(account)))
    return [await task for task in tasks]


async def open_branch(log_in, open_doors, serve, tellers):
    doors_open = asyncio.get_running_loop().create_future()

    async def doors():
        await open_doors()
        doors_open.set_result(None)

    async def teller(name):
        await log_in(name)
        await doors_open
        return await serve(name)

    async with asyncio.TaskGroup() as group:
        group.create_task(doors())
        served = [group.create_task(teller(name)) for name in tellers]
    return [task.result() for task in served]
