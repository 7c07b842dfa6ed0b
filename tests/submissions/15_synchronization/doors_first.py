# expect-fail: test_tellers_log_in_while_the_doors_open: The doors opened first (open_doors ran from 0 s to 2.4137 s), and the tellers began to log in only after
# expect-pass: test_nobody_serves_before_the_doors_open
# The event is set before any teller even starts: they log in only once the doors are open.
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
    await open_doors()
    doors_open.set()

    async def teller(name):
        await log_in(name)
        await doors_open.wait()
        return await serve(name)

    return await asyncio.gather(*(teller(t) for t in tellers))
