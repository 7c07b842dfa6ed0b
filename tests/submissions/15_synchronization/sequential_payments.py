# expect-fail: test_pay_all_notifies_outside_the_lock: all 3 payments ran in one task, one after another
# expect-pass: test_pay_all_never_overdraws
# expect-pass: test_pay_all_keeps_every_account_right
# No race without concurrency, but no concurrency either.
import asyncio


async def pay_all(ledger, payments):
    results = []
    for account, amount in payments:
        balance = await ledger.read_balance(account)
        if balance < amount:
            results.append(False)
            continue
        await ledger.write_balance(account, balance - amount)
        await ledger.notify(account, amount)
        results.append(True)
    return results


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
