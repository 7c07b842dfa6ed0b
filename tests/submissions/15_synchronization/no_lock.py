# expect-fail: test_pay_all_never_overdraws: payments of 60 and 60 were both approved: 120 paid from a balance of 100. ann's balance was read at 0 s and again at 0 s
# expect-fail: test_pay_all_loses_no_update: (a lost update)
# expect-fail: test_pay_all_notifies_outside_the_lock: (a lost update)
# expect-pass: test_statements_respect_the_limit
# expect-pass: test_a_late_teller_starts_at_once
# A payment reads, checks and writes with nothing to stop another payment in between.
import asyncio


async def pay(ledger, account, amount):
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
