# expect-fail: test_tellers_start_the_moment_the_doors_open: The doors opened at 2.4137 s and ann was logged in by then, but serve('ann') started only at 2.5 s
# expect-fail: test_a_late_teller_starts_at_once: (polling)
# expect-pass: test_nobody_serves_before_the_doors_open
# expect-pass: test_tellers_log_in_while_the_doors_open
# An Event, but polled with is_set() every 0.1 s instead of awaited.
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
        while not doors_open.is_set():
            await asyncio.sleep(0.1)
        return await serve(name)

    async def doors():
        await open_doors()
        doors_open.set()

    results = await asyncio.gather(*(teller(t) for t in tellers), doors())
    return results[:-1]
