# expect: pass
# async with everywhere, a TaskGroup instead of gather, a lock per account.
import asyncio
from collections import defaultdict


async def pay_all(ledger, payments):
    locks = defaultdict(
        asyncio.Lock
    )  # payments from different accounts don't wait for each other

    async def pay(account, amount):
        async with locks[account]:
            balance = await ledger.read_balance(account)
            if balance < amount:
                return False
            await ledger.write_balance(account, balance - amount)
        await ledger.notify(account, amount)
        return True

    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(pay(account, amount)) for account, amount in payments
        ]
    return [task.result() for task in tasks]


async def fetch_statements(fetch_statement, accounts, limit):
    semaphore = asyncio.Semaphore(limit)

    async def one(account):
        async with semaphore:
            try:
                return await fetch_statement(account)
            except Exception as error:  # noqa: BLE001  (returned in its place)
                return error

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(account)) for account in accounts]
    return [task.result() for task in tasks]


async def open_branch(log_in, open_doors, serve, tellers):
    doors_open = asyncio.Event()

    async def teller(name):
        await log_in(name)
        await doors_open.wait()
        return await serve(name)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(teller(name)) for name in tellers]
        await open_doors()
        doors_open.set()
    return [task.result() for task in tasks]
