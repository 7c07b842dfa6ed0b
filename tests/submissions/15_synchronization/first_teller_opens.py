# expect-fail: test_nobody_serves_before_the_doors_open: serve('ann') started at 0.5 s, before the doors opened
# expect-pass: test_tellers_log_in_while_the_doors_open
# The first teller to log in sets the event: the doors are taken for open when a teller is ready.
import asyncio


async def pay(ledger, lock, account, amount):
    """One payment: read, check and write under the lock; notify after releasing it."""
    async with lock:
        balance = await ledger.read_balance(account)
        if balance < amount:
            return False
        await ledger.write_balance(account, balance - amount)
    await ledger.notify(account, amount)
    return True


async def pay_all(ledger, payments):
    """Make every payment at the same time; return True (paid) or False (declined) for each."""
    lock = asyncio.Lock()
    return list(
        await asyncio.gather(
            *(pay(ledger, lock, account, amount) for account, amount in payments)
        )
    )


async def fetch_statements(fetch_statement, accounts, limit):
    """Fetch every statement, at most `limit` at once; a failure's exception takes its place."""
    semaphore = asyncio.Semaphore(limit)

    async def fetch(account):
        async with semaphore:
            return await fetch_statement(account)

    results = await asyncio.gather(
        *(fetch(account) for account in accounts), return_exceptions=True
    )
    return list(results)


async def open_branch(log_in, open_doors, serve, tellers):
    """Tellers log in while the doors open; each serves once both are done."""
    doors_open = asyncio.Event()

    async def teller(name):
        await log_in(name)
        doors_open.set()
        await doors_open.wait()
        return await serve(name)

    async def doors():
        await open_doors()

    *served, _ = await asyncio.gather(*(teller(name) for name in tellers), doors())
    return served
