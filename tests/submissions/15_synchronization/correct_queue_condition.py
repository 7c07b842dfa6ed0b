# expect: pass
# A pool of `limit` workers instead of a semaphore, and a Condition for the doors.
import asyncio


async def pay_all(ledger, payments):
    lock = asyncio.Lock()
    results = [None] * len(payments)

    async def pay(index, account, amount):
        async with lock:
            balance = await ledger.read_balance(account)
            paid = balance >= amount
            if paid:
                await ledger.write_balance(account, balance - amount)
        if paid:
            await ledger.notify(account, amount)
        results[index] = paid

    await asyncio.gather(*(pay(i, a, m) for i, (a, m) in enumerate(payments)))
    return results


async def fetch_statements(fetch_statement, accounts, limit):
    queue = asyncio.Queue()
    for index, account in enumerate(accounts):
        queue.put_nowait((index, account))
    results = [None] * len(accounts)

    async def worker():
        while not queue.empty():
            index, account = queue.get_nowait()
            try:
                results[index] = await fetch_statement(account)
            except Exception as error:  # noqa: BLE001  (returned in its place)
                results[index] = error

    await asyncio.gather(*(worker() for _ in range(limit)))
    return results


async def open_branch(log_in, open_doors, serve, tellers):
    condition = asyncio.Condition()
    state = {"open": False}

    async def teller(name):
        await log_in(name)
        async with condition:
            await condition.wait_for(lambda: state["open"])
        return await serve(name)

    async def doors():
        await open_doors()
        async with condition:
            state["open"] = True
            condition.notify_all()

    *results, _ = await asyncio.gather(*(teller(name) for name in tellers), doors())
    return results
