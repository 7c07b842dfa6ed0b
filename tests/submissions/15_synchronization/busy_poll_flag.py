# expect-fail: test_tellers_start_the_moment_the_doors_open: kept the event loop spinning
# expect-fail: test_nobody_serves_before_the_doors_open: Wait for the thing itself
# A flag checked in a loop that sleeps 0 s: the loop never idles, so time never moves.
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
    state = {"open": False}

    async def teller(name):
        await log_in(name)
        while not state["open"]:
            await asyncio.sleep(0)
        return await serve(name)

    async def doors():
        await open_doors()
        state["open"] = True

    results = await asyncio.gather(*(teller(t) for t in tellers), doors())
    return results[:-1]
