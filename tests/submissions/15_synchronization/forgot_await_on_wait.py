# expect-fail: test_nobody_serves_before_the_doors_open: serve('ann') started at 0.5 s, before the doors opened at 2.4137 s: ann went to work straight after logging in
# expect-fail: test_tellers_start_the_moment_the_doors_open: before the doors opened
# `doors_open.wait()` without await makes a coroutine and drops it: nobody waits.
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
        doors_open.wait()
        return await serve(name)

    async def doors():
        await open_doors()
        doors_open.set()

    results = await asyncio.gather(*(teller(t) for t in tellers), doors())
    return results[:-1]
