# expect-fail: test_a_late_teller_starts_at_once: ann was logged in at 0.5 s and the doors opened at 2.4137 s, but serve('ann') started only at 3.7 s, when bob had logged in: ann waited for everyone to log in
# expect-pass: test_tellers_start_the_moment_the_doors_open
# expect-pass: test_nobody_serves_before_the_doors_open
# A Barrier: right when the doors open last, but everyone waits for the slowest log-in.
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
    barrier = asyncio.Barrier(len(tellers) + 1)

    async def teller(name):
        await log_in(name)
        await barrier.wait()
        return await serve(name)

    async def doors():
        await open_doors()
        await barrier.wait()

    results = await asyncio.gather(*(teller(t) for t in tellers), doors())
    return results[:-1]
