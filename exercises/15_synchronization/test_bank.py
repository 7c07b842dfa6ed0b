"""Visible tests of exercise 15. Run them with: pytest exercises/15_synchronization

Your functions get fakes that take a set time of *virtual* loop time and record what
happened: a ledger (read 1 s, write 1 s, notify 3 s), a statement service (a Probe), and a
branch whose doors take 2.5 s to open. Virtual time makes a race happen the same way every
run, and "3 payments take 9 s" an exact measurement.
"""

import asyncio
from contextlib import contextmanager

from grader.blocking import thread_locks_watched
from grader.failure import CheckFailed
from grader.probes import Probe
from grader.timeline import Span, render

LOCK = (
    "Hold one asyncio.Lock, shared by all payments, from the read through the check to the "
    "write: `async with lock:` around the three. Make it once, in pay_all: a lock made inside "
    "each payment is its own, and nobody ever waits for it."
)
THREAD_LOCK = (
    "Use asyncio.Lock with `async with lock:`, never a threading.Lock in a coroutine."
)


class Ledger:
    """A fake ledger. A read returns the balance as it is when the read starts; a write
    changes it when the write ends. Every call is logged as (what, account, start, end)."""

    def __init__(self, balances):
        self.balances = dict(balances)
        self.log = []

    def __repr__(self):
        return "ledger"

    async def _take(self, what, account, seconds):
        start = asyncio.get_running_loop().time()
        await asyncio.sleep(seconds)
        self.log.append((what, account, start, asyncio.get_running_loop().time()))

    async def read_balance(self, account):
        balance = self.balances[account]
        await self._take("read", account, 1.0)
        return balance

    async def write_balance(self, account, balance):
        await self._take("write", account, 1.0)
        self.balances[account] = balance

    async def notify(self, account, amount):
        await self._take("notify", account, 3.0)


@contextmanager
def threading_locks_fail(learner):
    """Test machinery: while your code runs, `with lock:` on a threading.Lock that another
    task holds raises instead of freezing the event loop (and this test) for good."""
    with thread_locks_watched(learner.files) as found:
        try:
            yield
        except CheckFailed as failure:
            if "lock.acquire" in failure.message:  # a blocking threading.Lock.acquire()
                raise CheckFailed(failure.message, THREAD_LOCK) from None
            if not found:
                raise
    if found:
        raise CheckFailed(
            f"bank.py:{found[0].line}: a task waited for a threading.Lock that another task held across "
            "an await. That wait blocks the event loop's only thread: the holder can never resume "
            "to release it, a deadlock.",
            THREAD_LOCK,
        )


def run_payments(learner, ledger, payments):
    with threading_locks_fail(learner):
        call = learner.run(
            "pay_all",
            ledger,
            payments,
            hang_causes=(
                "a payment kept the lock: one that returned early (declined) without releasing "
                "it. `async with lock:` gives it back however the block ends",
            ),
        )
    got = call.result()
    if (
        got is None
        or len(got) != len(payments)
        or any(type(v) is not bool for v in got)
    ):
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected one True or False per payment."
        )
    return call, list(got)


def test_pay_all_never_overdraws(learner):
    """payments of 60, 60 and 10 from 100: the first paid, the second declined, the third paid, 30 left"""
    ledger = Ledger({"ann": 100})
    call, got = run_payments(learner, ledger, [("ann", 60), ("ann", 60), ("ann", 10)])
    reads = [start for what, _, start, _ in ledger.log if what == "read"]
    if got[:2] == [True, True]:
        raise CheckFailed(
            f"Called {call.text}. Both payments of 60 were paid: 120 from a balance of 100. The reads "
            f"started at {reads}: both read 100 before either wrote the new balance.",
            LOCK,
        )
    if got != [True, False, True] or ledger.balances["ann"] != 30:
        raise CheckFailed(
            f"Called {call.text}. It returned {got} and left ann with {ledger.balances['ann']}; "
            "expected [True, False, True] (the second declined) and 30 left."
        )


def test_pay_all_pays_down_to_zero(learner):
    """payments of 40 and 60 from 100 are both paid: a balance that covers the amount exactly is enough"""
    ledger = Ledger({"dee": 100})
    call, got = run_payments(learner, ledger, [("dee", 40), ("dee", 60)])
    if got == [True, False] and ledger.balances["dee"] == 60:
        raise CheckFailed(
            f"Called {call.text}. It returned {got} and left dee with 60: the payment of 60 was declined, "
            "though the balance it read, 60, covers it exactly. Expected [True, True] and 0 left.",
            "Decline only when the balance is less than the amount: `if balance < amount: return False`.",
        )
    if got != [True, True] or ledger.balances["dee"] != 0:
        raise CheckFailed(
            f"Called {call.text}. It returned {got} and left dee with {ledger.balances['dee']}; "
            "expected [True, True] (100 - 40 - 60) and 0 left.",
            LOCK,
        )


def test_pay_all_notifies_outside_the_lock(learner):
    """3 payments of 10 from 100 take 9 s: reads and writes one at a time, receipts overlapping"""
    ledger = Ledger({"cy": 100})
    call, got = run_payments(learner, ledger, [("cy", 10), ("cy", 10), ("cy", 10)])
    if got != [True, True, True] or ledger.balances["cy"] != 70:
        raise CheckFailed(
            f"Called {call.text}. It returned {got} and left cy with {ledger.balances['cy']}; "
            "expected all 3 paid and 70 left.",
            LOCK,
        )
    if abs(call.loop_time - 9.0) > 1e-6:
        raise CheckFailed(
            f"Called {call.text}. It took {call.loop_time:g} s of loop time; expected 9 s: each "
            "payment holds the lock for its read and write (2 s), and its receipt (3 s) goes out "
            "after it has let go, while the next payment goes on. 15 s means the lock was held over "
            "notify, or the payments ran one after another.",
            "Call `await ledger.notify(...)` after the `async with lock:` block, and start every "
            "payment at once (asyncio.gather).",
        )


def test_fetch_statements_respects_the_limit(learner):
    """6 statements of 1 s with limit 2: never more than 2 at once, done in 3 s, in order"""
    fetch_statement = Probe(
        "fetch_statement", delay=1.0, result=lambda a: f"statement of {a}"
    )
    accounts = ["eve", "ann", "dee", "bob", "fay", "cy"]
    call = learner.run("fetch_statements", fetch_statement, accounts, 2)
    got = call.result()
    expected = [f"statement of {a}" for a in accounts]
    if got != expected:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected {expected!r}."
        )
    if fetch_statement.peak != 2 or abs(call.loop_time - 3.0) > 1e-6:
        raise CheckFailed(
            f"Called {call.text}. Up to {fetch_statement.peak} fetches ran at once and it took "
            f"{call.loop_time:g} s; expected exactly 2 at a time, done in 3 s.",
            "Make one `asyncio.Semaphore(limit)`, start every fetch at once, and wrap each in "
            "`async with semaphore:`.",
        )


def test_fetch_statements_takes_a_free_place_at_once(learner):
    """limit 2, ann's statement takes 3 s and the others 1 s: cy starts at 1 s and dee at 2 s, all done in 3 s"""
    delays = {"ann": 3.0, "bob": 1.0, "cy": 1.0, "dee": 1.0}
    fetch_statement = Probe(
        "fetch_statement",
        delay=delays.__getitem__,
        result=lambda a: f"statement of {a}",
    )
    call = learner.run("fetch_statements", fetch_statement, list(delays), 2)
    got = call.result()
    expected = [f"statement of {a}" for a in delays]
    if got != expected:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected {expected!r}."
        )
    starts = {e.item: e.at for e in fetch_statement.events if e.kind == "start"}
    times = sorted({e.at for e in fetch_statement.events})
    for at in (
        times
    ):  # after everything that happened at `at`: a place free, an account waiting?
        running = [
            e.item
            for e in fetch_statement.events
            if e.kind == "start"
            and e.at <= at + 1e-9
            and not any(
                f.item == e.item and f.kind != "start" and f.at <= at + 1e-9
                for f in fetch_statement.events
            )
        ]
        waiting = [a for a in delays if starts.get(a, float("inf")) > at + 1e-9]
        if len(running) < 2 and waiting:
            later = waiting[0]
            raise CheckFailed(
                f"Called {call.text}. At {at:g} s of loop time only {len(running)} of 2 statements were "
                f"being fetched while {waiting} still waited: fetch_statement({later!r}) started only at "
                f"{starts.get(later, float('nan')):g} s. It took {call.loop_time:g} s; expected 3 s (cy "
                "starts at 1 s when bob's place frees, dee at 2 s). Fetching in batches makes every batch "
                "wait for its slowest fetch, ann's 3 s.",
                "Start every fetch at once, each inside `async with semaphore:`: the semaphore lets the "
                "next one in the moment a place frees.",
                call.schedule(),
            )
    if fetch_statement.peak > 2 or abs(call.loop_time - 3.0) > 1e-6:
        raise CheckFailed(
            f"Called {call.text}. Up to {fetch_statement.peak} fetches ran at once and it took "
            f"{call.loop_time:g} s; expected at most 2 at a time, done in 3 s.",
            "Make one `asyncio.Semaphore(limit)`, start every fetch at once, and wrap each in "
            "`async with semaphore:`.",
            call.schedule(),
        )


def test_fetch_statements_survives_a_failure(learner):
    """limit 1, the first fetch fails: its exception takes its place, and the others still run"""
    error = ConnectionError("ann's branch is offline")
    fetch_statement = Probe(
        "fetch_statement",
        delay=1.0,
        result=lambda a: f"statement of {a}",
        errors={"ann": error},
    )
    call = learner.run(
        "fetch_statements",
        fetch_statement,
        ["ann", "bob", "cy"],
        1,
        hang_causes=(
            (
                "the failed fetch kept its place in the semaphore: `async with semaphore:` "
                "gives it back however the block ends (or release it in `finally:`)"
            ),
        ),
    )
    got = call.result()
    expected = [error, "statement of bob", "statement of cy"]
    if len(got or []) != 3 or got[0] is not error or list(got[1:]) != expected[1:]:
        raise CheckFailed(
            f"Called {call.text}, where ann's statement fails. It returned {got!r}; expected "
            f"{expected!r}, the exception object itself in ann's place.",
            "asyncio.gather(..., return_exceptions=True) puts each failure's exception in its place.",
        )


def test_open_branch_starts_everyone_together(learner):
    """tellers log in while the doors open (2.5 s), and all start serving at 2.5 s"""
    log_in = Probe("log_in", delay={"ann": 0.5, "bob": 1.25, "cy": 0.75}.__getitem__)
    serve = Probe("serve", delay=1.0, result=lambda t: f"{t} served")
    opened = []

    async def open_doors():
        await asyncio.sleep(2.5)
        opened.append(asyncio.get_running_loop().time())

    call = learner.run("open_branch", log_in, open_doors, serve, ["ann", "bob", "cy"])
    got = call.result()
    if got != ["ann served", "bob served", "cy served"]:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected ['ann served', 'bob served', 'cy served']."
        )
    logins = [e.at for e in log_in.events if e.kind == "start"]
    serves = {e.item: e.at for e in serve.events if e.kind == "start"}
    if opened != [2.5] or any(t != 0 for t in logins):
        raise CheckFailed(
            f"Called {call.text}. The log-ins started at {logins} and the doors opened at "
            f"{opened}; expected every log-in and the doors to start at 0 s, together.",
            "Start the tellers and the doors at once: gather them (or use a TaskGroup).",
        )
    if any(t != 2.5 for t in serves.values()):
        raise CheckFailed(
            f"Called {call.text}. The doors opened at 2.5 s, and the tellers started serving at "
            f"{serves}; expected all of them at 2.5 s: not before (wait for the doors), not later "
            "(don't poll).",
            "Each teller: `await log_in(name)`, `await doors_open.wait()`, `await serve(name)`; "
            "`doors_open.set()` once `await open_doors()` has returned.",
        )


def test_open_branch_lets_a_late_teller_start_at_once(learner):
    """ann logs in in 0.5 s and starts serving when the doors open (2.5 s); bob logs in at 4 s and starts at once"""
    log_in = Probe("log_in", delay={"ann": 0.5, "bob": 4.0}.__getitem__)
    serve = Probe("serve", delay=1.0, result=lambda t: f"{t} served")

    async def open_doors():
        await asyncio.sleep(2.5)

    call = learner.run(
        "open_branch",
        log_in,
        open_doors,
        serve,
        ["ann", "bob"],
        limit=60,
        hang_causes=(
            (
                "bob logged in at 4 s, after the doors had opened at 2.5 s, and waited for a signal that "
                "was already gone: an Event stays set (don't clear() it), so a late `await doors_open.wait()` "
                "returns at once"
            ),
        ),
    )
    got = call.result()
    if got != ["ann served", "bob served"]:
        raise CheckFailed(
            f"Called {call.text}. It returned {got!r}; expected ['ann served', 'bob served']."
        )
    serves = {e.item: e.at for e in serve.events if e.kind == "start"}
    if abs(serves.get("ann", 0) - 4.0) < 1e-9:
        raise CheckFailed(
            f"Called {call.text}. ann was logged in at 0.5 s and the doors opened at 2.5 s, but serve('ann') "
            "started only at 4 s, when bob had logged in: ann waited for every teller to log in (a Barrier, "
            "or a gather of all the log-ins before anyone serves?). Expected ann at 2.5 s and bob at 4 s.",
            "Let each teller wait for the doors only: `await log_in(name)`, `await doors_open.wait()`, "
            "`return await serve(name)`.",
            branch_schedule(log_in, serve),
        )
    if serves != {"ann": 2.5, "bob": 4.0}:
        raise CheckFailed(
            f"Called {call.text}. The tellers started serving at {serves}; expected ann at 2.5 s (the doors "
            "open) and bob at 4 s (his log-in ends, the doors already open): each the moment both are done.",
            "Each teller: `await log_in(name)`, `await doors_open.wait()`, `await serve(name)`. A set Event "
            "stays set, so a late teller goes straight through.",
            branch_schedule(log_in, serve),
        )


def branch_schedule(log_in, serve):
    """What the late-teller test saw, each call named, above what it expected."""
    spans = [
        Span(f"{what} {span.label.strip(chr(39))}", span.start, span.end, span.outcome)
        for what, probe in (("log-in", log_in), ("serve", serve))
        for span in probe.spans()
    ]
    expected = [
        Span("log-in ann", 0.0, 0.5),
        Span("log-in bob", 0.0, 4.0),
        Span("serve ann", 2.5, 3.5),
        Span("serve bob", 4.0, 5.0),
    ]
    return render(spans, expected)
