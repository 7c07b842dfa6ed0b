# expect: pass
# acquire() with release() in finally, and the doors as one task every teller awaits.
import asyncio


async def pay(ledger, lock, account, amount):
    await lock.acquire()
    try:
        balance = await ledger.read_balance(account)
        if balance < amount:
            return False
        await ledger.write_balance(account, balance - amount)
    finally:
        lock.release()
    await ledger.notify(account, amount)
    return True


async def pay_all(ledger, payments):
    lock = asyncio.Lock()
    return await asyncio.gather(
        *[pay(ledger, lock, account, amount) for account, amount in payments]
    )


async def fetch_statements(fetch_statement, accounts, limit):
    semaphore = asyncio.BoundedSemaphore(limit)

    async def one(account):
        await semaphore.acquire()
        try:
            return await fetch_statement(account)
        finally:
            semaphore.release()

    return await asyncio.gather(*map(one, accounts), return_exceptions=True)


async def open_branch(log_in, open_doors, serve, tellers):
    doors = asyncio.ensure_future(
        open_doors()
    )  # awaiting a finished task returns at once

    async def teller(name):
        await log_in(name)
        await doors
        return await serve(name)

    results = await asyncio.gather(*(teller(name) for name in tellers))
    await doors
    return results
