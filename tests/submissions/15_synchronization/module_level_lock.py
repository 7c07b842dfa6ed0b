# expect-fail: test_pay_all_loses_no_update: is bound to a different event loop
# expect-fail: test_pay_all_keeps_every_account_right: Create the lock, semaphore or event inside your function
# expect-pass: test_pay_all_never_overdraws
# One lock for the module: it belongs to the first event loop that waited on it.
import asyncio

LOCK = asyncio.Lock()


async def pay(ledger, account, amount):
    async with LOCK:
        balance = await ledger.read_balance(account)
        if balance < amount:
            return False
        await ledger.write_balance(account, balance - amount)
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
