# expect-fail: test_pay_all_keeps_every_account_right: It never returned: 4 payments waited for the lock forever, though no payment was using it any more: one returned without releasing it
# expect-pass: test_pay_all_loses_no_update
# expect-pass: test_pay_all_never_overdraws
# acquire() and release() by hand: the early `return False` keeps the lock.
import asyncio


async def pay(ledger, lock, account, amount):
    await lock.acquire()
    balance = await ledger.read_balance(account)
    if balance < amount:
        return False
    await ledger.write_balance(account, balance - amount)
    lock.release()
    await ledger.notify(account, amount)
    return True


async def pay_all(ledger, payments):
    lock = asyncio.Lock()
    return await asyncio.gather(*(pay(ledger, lock, a, m) for a, m in payments))


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
