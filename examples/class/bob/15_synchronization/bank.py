"""Exercise 15: share state safely between tasks with asyncio.Lock, Semaphore and Event.

Read README.md in this folder first. Your functions receive their I/O as parameters, so
the tests can hand you fakes that take (virtual) time and record what happened:

- `ledger` has three async methods: `await ledger.read_balance(account)` returns the
  balance, `await ledger.write_balance(account, balance)` stores a new one, and
  `await ledger.notify(account, amount)` sends the receipt of a payment.
- `fetch_statement(account)` is an async function returning one account's statement; it
  may raise.
- `log_in(teller)`, `open_doors()` and `serve(teller)` are async functions of a bank branch.
"""

import asyncio  # noqa: F401  (you will need it)


async def pay_all(ledger, payments):
    """Make every payment in `payments` (a list of (account, amount)) at the same time.

    A payment reads the account's balance; if it covers the amount, it writes the new
    balance (balance - amount) and then notifies; if not, it is declined (no write, no
    notify). Return a list of booleans, one per payment, in order: True if it was paid.
    No two payments of one account may both act on the same old balance.
    """
    # TODO: one asyncio.Lock held from the read, through the check, to the write; notify outside it.
    raise NotImplementedError


async def fetch_statements(fetch_statement, accounts, limit):
    """Fetch the statement of every account, with at most `limit` fetches at once.

    Return the statements in the order of `accounts`; a fetch that raises puts its exception
    object in its place (the others go on).
    """
    # TODO: an asyncio.Semaphore(limit) around each fetch, given back even when the fetch fails.
    raise NotImplementedError


async def open_branch(log_in, open_doors, serve, tellers):
    """Open a branch: every teller logs in while the doors open, then serves.

    Each teller does `await log_in(teller)`, then waits until the doors are open, then
    `await serve(teller)`. Meanwhile `await open_doors()` opens them. Everything starts at
    once. A teller starts serving the moment it is logged in and the doors are open.
    Return what `serve` returned for each teller, in the order of `tellers`.
    """
    # TODO: an asyncio.Event: set once open_doors() returns, awaited by every teller.
    raise NotImplementedError
