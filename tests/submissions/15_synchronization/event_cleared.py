# expect-fail: test_a_late_teller_starts_at_once: bob logged in at 3.7 s, after the doors had opened at 2.4137 s, and never started serving (at 70 s of loop time it was still waiting): the signal was gone
# expect-pass: test_tellers_start_the_moment_the_doors_open
# set() then clear(): a pulse that only the tellers already waiting can see.
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
        doors_open.clear()

    results = await asyncio.gather(*(teller(t) for t in tellers), doors())
    return results[:-1]
