# expect-fail: test_pay_all_notifies_outside_the_lock: It took 15 s of loop time: each payment read the balance only when the previous payment's notify had ended (at 5 s and 10 s), so the lock was held while the receipt went out
# expect-pass: test_pay_all_never_overdraws
# expect-pass: test_pay_all_loses_no_update
# expect-pass: test_pay_all_keeps_every_account_right
# Correct balances, but every payment waits for the previous receipt too.
import asyncio


async def pay(ledger, lock, account, amount):
    async with lock:
        balance = await ledger.read_balance(account)
        if balance < amount:
            return False
        await ledger.write_balance(account, balance - amount)
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
