# expect-fail: test_pay_all_never_overdraws: It made a blocking call, lock.acquire
# expect-fail: test_pay_all_loses_no_update: threading.Lock is for threads
# The same mistake with acquire()/release(): blockbuster sees the blocking acquire.
import asyncio
import threading

LOCK = threading.Lock()


async def pay(ledger, account, amount):
    LOCK.acquire()
    try:
        balance = await ledger.read_balance(account)
        if balance < amount:
            return False
        await ledger.write_balance(account, balance - amount)
    finally:
        LOCK.release()
    await ledger.notify(account, amount)
    return True


async def pay_all(ledger, payments):
    return await asyncio.gather(*(pay(ledger, a, m) for a, m in payments))


async def fetch_statements(fetch_statement, accounts, limit):
    semaphore = asyncio.Semaphore(limit)

    async def one(account):
        async with semaphore:
            return await fetch_statement(account)

    return await asyncio.gather(*(one(a) for a in accounts), return_exceptions=True)


async def open_branch(log_in, open_doors, serve, tellers):
    doors_open = asyncio.Event()

    async def teller(name):
        await log_in(name)
        await doors_open.wait()
        return await serve(name)

    async def doors():
        await open_doors()
        doors_open.set()

    results = await asyncio.gather(*(teller(t) for t in tellers), doors())
    return results[:-1]
