# expect-fail: test_statements_start_when_a_place_frees: At 1 s of loop time only 2 of 3 statements were being fetched while 4 accounts still waited
# expect-pass: test_statements_respect_the_limit
# expect-pass: test_statements_come_back_in_order
# Batches of `limit`: each batch waits for its slowest fetch.
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
    results = []
    for start in range(0, len(accounts), limit):
        batch = accounts[start : start + limit]
        results += await asyncio.gather(
            *(fetch_statement(a) for a in batch), return_exceptions=True
        )
    return results


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
