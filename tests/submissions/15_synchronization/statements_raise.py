# expect-fail: test_statements_come_back_in_order: It raised ConnectionError: dee's branch is offline, the failure of one fetch: one failing statement must not stop the others
# expect-pass: test_statements_respect_the_limit
# gather without return_exceptions: the first failure ends everything.
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

    return await asyncio.gather(*(one(a) for a in accounts))


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
