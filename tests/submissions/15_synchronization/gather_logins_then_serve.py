# expect-fail: test_a_late_teller_starts_at_once: ann waited for everyone to log in
# expect-pass: test_nobody_serves_before_the_doors_open
# expect-pass: test_tellers_start_the_moment_the_doors_open
# Waits for every log-in and the doors together, then lets everyone serve: a teller waits for the slowest log-in.
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
    await asyncio.gather(open_doors(), *(log_in(name) for name in tellers))
    return list(await asyncio.gather(*(serve(name) for name in tellers)))
