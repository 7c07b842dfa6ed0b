"""Hidden checks of exercise 15: pay_all (asyncio.Lock), fetch_statements (asyncio.Semaphore)
and open_branch (asyncio.Event).

The fakes handed to the learner (a ledger, a statement service, a branch's log-in, doors and
desks) record every call: its arguments, the task that made it, when it started and ended, and
how. Every verdict comes from those records, the ledger's balances and loop time. A run that
has not returned long after any correct schedule would have ended is reported with what its
tasks were waiting for (a lock, a semaphore, an event), not as a plain hang.

A threading.Lock held across an await and entered again by another task would block the
event loop's thread for good (blockbuster sees `lock.acquire()`, not `with lock:`): while
learner code runs, a contended `with lock:` in the loop's thread raises instead, and the
check names it.
"""

from __future__ import annotations

import _thread
import asyncio
import inspect
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from grader import messages
from grader.blocking import Location, thread_locks_watched
from grader.expect import same
from grader.failure import CheckFailed
from grader.learner import describe_call, error_text, members, short
from grader.timeline import Span, render

EXACT = 1e-6  # loop time is virtual (whole microseconds): correct code hits the figure exactly
GRACE = 60.0  # s of loop time past the slowest possible schedule before a run counts as stuck

LOCK = (
    "Hold one asyncio.Lock from reading the balance, through the check, to writing the new "
    "balance: `async with lock:` around all three. A second payment then reads the balance "
    "only after the first has written it. One lock, made once in pay_all and shared by every "
    "payment: a lock made inside each payment is its own, and nobody ever waits for it."
)
NOTIFY_OUTSIDE = (
    "Only the read, the check and the write need the lock: call `await ledger.notify(...)` "
    "after the `async with lock:` block, so the next payment goes ahead while the receipt is "
    "sent."
)
TOGETHER = (
    "Start every payment at once (asyncio.gather, or a TaskGroup): the lock is what keeps "
    "them from racing, not running them one by one."
)
THREAD_LOCK = (
    "Use asyncio.Lock: `lock = asyncio.Lock()`, then `async with lock:`. A task waiting for an "
    "asyncio.Lock pauses and lets the other tasks run; a threading.Lock is for threads, and "
    "waiting for it freezes the whole event loop."
)
RELEASE_LOCK = (
    "Release the lock on every path, the early `return False` too: `async with lock:` does it "
    "for you; after `await lock.acquire()`, release it in `finally:`."
)
BOUND = (
    "Make one `asyncio.Semaphore(limit)` before starting the fetches, start them all, and wrap "
    "each fetch in `async with semaphore:`: at most `limit` get in, and the next one goes in "
    "the moment one comes out."
)
RELEASE = (
    "A failing fetch must give its place back too: `async with semaphore:` releases it however "
    "the block ends; after `await semaphore.acquire()`, release it in `finally:`."
)
SETTLED = (
    "Keep going when one fetch fails: `asyncio.gather(..., return_exceptions=True)` puts its "
    "exception object in its place."
)
EVENT = (
    "Make one `asyncio.Event()`. Each teller: `await log_in(name)`, `await doors_open.wait()`, "
    "`await serve(name)`. Meanwhile `await open_doors()`, then `doors_open.set()`. Run all of "
    "it at once (gather or a TaskGroup)."
)
NO_POLL = (
    "Wait for the signal itself: `await doors_open.wait()` on an asyncio.Event wakes every "
    "waiting teller the moment `set()` is called. A loop that checks a flag and sleeps wakes "
    "up late, and one that sleeps 0 s never lets the clock move."
)
STAYS_SET = (
    "Let each teller wait for the doors only: `await doors_open.wait()` returns at once when "
    "the Event is already set, so a late teller goes straight to work. Don't clear() it, and "
    "don't make everyone wait for the slowest log-in (a Barrier, or a gather of all log-ins)."
)

KNOWN_ERRORS = (
    (
        TypeError,
        "'coroutine'",
        (
            "Calling an async function gives a coroutine object, not its result: `await` it, "
            "`balance = await ledger.read_balance(account)`."
        ),
    ),
    (TypeError, "'_thread.lock' object does not support the asynchronous", THREAD_LOCK),
    (
        TypeError,
        "'_thread.RLock' object does not support the asynchronous",
        THREAD_LOCK,
    ),
    (
        TypeError,
        "does not support the context manager protocol",
        (
            "asyncio's Lock, Semaphore and Condition are entered with `async with`, not "
            "`with`: getting in may mean waiting, and waiting is an await."
        ),
    ),
    (
        RuntimeError,
        "is bound to a different event loop",
        (
            "Create the lock, semaphore or event inside your function, once per call: every "
            "call runs on its own event loop, and one made at module level stays tied to the "
            "first loop that waited on it."
        ),
    ),
    (
        RuntimeError,
        "Lock is not acquired",
        "Release only a lock you acquired, once: `async with lock:` pairs them for you.",
    ),
    (
        ValueError,
        "released too many times",
        "Release the semaphore once per acquire: `async with semaphore:` pairs them for you.",
    ),
)


OBJECT_REPR = re.compile(r"<asyncio\.locks\.(\w+) object at 0x[0-9a-f]+ \[[^\]]*\]>")


def secs(value: float) -> str:
    """Loop time as the learner reads it: 9 s, 2.4137 s, 0.05 s."""
    return f"{round(value, 4):g} s"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def listing(values: list[Any], limit: int = 4) -> str:
    """a, b and c; a, b, c, d and 2 more."""
    words = [str(v) for v in values]
    if len(words) > limit:
        return ", ".join(words[:limit]) + f" and {len(words) - limit} more"
    return (
        " and ".join([", ".join(words[:-1]), words[-1]])
        if len(words) > 1
        else "".join(words)
    )


# --- the fakes ---------------------------------------------------------------------------


@dataclass
class Op:
    """One call of a fake: what, by which task, from when to when, and how it ended."""

    name: str
    args: tuple
    task: int  # id() of the asyncio task that made the call
    start: float
    end: float | None = None
    outcome: str = "running"  # "finish", "fail", "cancel" or "running"
    value: Any = None  # what it returned (a read: the balance it saw)

    @property
    def arg(self) -> Any:
        return self.args[0] if self.args else None


class Recorder:
    """The base of the fakes: every call becomes an Op; ``returned_at`` is the loop time the
    learner's function returned (calls after it are the harness cleaning up)."""

    name = "fake"

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.calls: list[tuple] = []
        self.returned_at: float | None = None
        self.in_flight: Counter = Counter()
        self.peak: Counter = Counter()
        self._handed_out: list[Any] = []
        self._entered = 0

    def _call(
        self,
        name: str,
        args: tuple,
        delay: float,
        at_start: Callable[[], Any] | None = None,
        at_end: Callable[[Any], Any] | None = None,
    ) -> Any:
        self.calls.append((name, *args))
        coroutine = self._run(name, args, delay, at_start, at_end)
        coroutine.__qualname__ = f"{name}({', '.join(map(repr, args))})"
        self._handed_out.append(coroutine)
        return coroutine

    async def _run(self, name, args, delay, at_start, at_end) -> Any:
        self._entered += 1
        loop = asyncio.get_running_loop()
        op = Op(name, args, id(asyncio.current_task()), loop.time())
        self.ops.append(op)
        self.in_flight[name] += 1
        self.peak[name] = max(self.peak[name], self.in_flight[name])
        try:
            seen = at_start() if at_start else None
            await asyncio.sleep(delay)
            value = at_end(seen) if at_end else seen
        except asyncio.CancelledError:
            op.end, op.outcome = loop.time(), "cancel"
            raise
        except BaseException:
            op.end, op.outcome = loop.time(), "fail"
            raise
        finally:
            self.in_flight[name] -= 1
        op.end, op.outcome, op.value = loop.time(), "finish", value
        return value

    def done(self, name: str | None = None) -> list[Op]:
        """The calls (of ``name``) made before the learner's function returned."""
        cut = float("inf") if self.returned_at is None else self.returned_at + EXACT
        return [
            o for o in self.ops if o.start <= cut and (name is None or o.name == name)
        ]

    def label(self, op: Op) -> str:
        return f"{op.name} {op.arg}"

    def spans(self) -> list[Span]:
        return [Span(self.label(o), o.start, o.end, o.outcome) for o in self.ops]

    def never_awaited(self) -> int:
        """How many coroutines were handed out and never began to run (closing them)."""
        for coroutine in self._handed_out:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self._handed_out) - self._entered


class Ledger(Recorder):
    """``read_balance``, ``write_balance`` and ``notify``, each taking loop time. A read returns
    the balance as it is when the read starts; a write changes it when the write ends."""

    name = "ledger"

    def __init__(
        self, balances: dict[str, int], read=1.0, write=1.0, notify=3.0
    ) -> None:
        super().__init__()
        self.initial = dict(balances)
        self.balances = dict(balances)
        self.delays = {"read_balance": read, "write_balance": write, "notify": notify}

    def __repr__(self) -> str:
        return "ledger"

    def _balance(self, account: Any) -> int:
        if account not in self.balances:
            raise KeyError(f"the ledger has no account {account!r}")
        return self.balances[account]

    def read_balance(self, account):
        return self._call(
            "read_balance",
            (account,),
            self.delays["read_balance"],
            at_start=lambda: self._balance(account),
        )

    def write_balance(self, account, balance):
        def write(_seen: Any) -> None:
            self._balance(account)
            self.balances[account] = balance

        return self._call(
            "write_balance",
            (account, balance),
            self.delays["write_balance"],
            at_end=write,
        )

    def notify(self, account, amount):
        return self._call("notify", (account, amount), self.delays["notify"])

    def label(self, op: Op) -> str:
        verb = {"read_balance": "read", "write_balance": "write"}.get(op.name, op.name)
        return f"{verb} {op.arg}"


class Statements(Recorder):
    """``fetch_statement(account)``: takes ``delays[account]`` s, then returns the statement
    or raises ``errors[account]``."""

    name = "fetch_statement"

    def __init__(
        self, delays: dict[str, float], errors: dict[str, BaseException] | None = None
    ):
        super().__init__()
        self.delays = delays
        self.errors = dict(errors or {})

    def expected(self, account: str) -> Any:
        return self.errors.get(account) or f"statement of {account}"

    def __call__(self, account):
        def answer(_seen: Any) -> str:
            if account in self.errors:
                raise self.errors[account]
            return f"statement of {account}"

        return self._call(
            "fetch_statement", (account,), self.delays[account], at_end=answer
        )

    def label(self, op: Op) -> str:
        return f"fetch {op.arg}"


class Branch(Recorder):
    """``log_in(teller)``, ``open_doors()`` and ``serve(teller)``, each taking loop time."""

    name = "branch"

    def __init__(
        self, logins: dict[str, float], doors: float, serving: float = 1.0
    ) -> None:
        super().__init__()
        self.logins = logins
        self.doors = doors
        self.serving = serving

    def log_in(self, teller):
        return self._call("log_in", (teller,), self.logins[teller])

    def open_doors(self):
        return self._call("open_doors", (), self.doors)

    def serve(self, teller):
        return self._call(
            "serve", (teller,), self.serving, at_end=lambda _: f"{teller} served"
        )

    def label(self, op: Op) -> str:
        return {"log_in": f"login {op.arg}", "open_doors": "doors"}.get(
            op.name, f"serve {op.arg}"
        )


# --- running the learner's function ---------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A learner task paused in a synchronization primitive when the run was declared stuck."""

    kind: str  # "Lock", "Semaphore", "Event", "Condition", "Barrier"...
    primitive: Any
    task: str


@dataclass
class Stuck:
    """What the scenario returns when the learner's function had not returned in time."""

    at: float
    waiting: list[Waiting]

    def count(self, kind: str) -> int:
        return sum(1 for w in self.waiting if w.kind.endswith(kind))


PRIMITIVES = (
    asyncio.Lock,
    asyncio.Semaphore,
    asyncio.Event,
    asyncio.Condition,
    asyncio.Barrier,
)


def _waits(tasks: set[asyncio.Task]) -> list[Waiting]:
    """Which tasks are paused in a lock, semaphore, event..., found along their await chains."""
    found = []
    for task in tasks:
        coroutine = task.get_coro()
        while coroutine is not None:
            frame = getattr(coroutine, "cr_frame", None)
            owner = frame.f_locals.get("self") if frame is not None else None
            if isinstance(owner, PRIMITIVES):
                found.append(Waiting(type(owner).__name__, owner, task.get_name()))
                break
            coroutine = getattr(coroutine, "cr_await", None)
    return found


def run(learner, name: str, args: tuple, fake: Recorder, *, deadline: float):
    """Run ``name(*args)``; a run still going at ``deadline`` s of loop time returns a Stuck
    report instead of counting as a plain hang, so the check can say what it waited for."""

    async def scenario(function):
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks()

        async def main():
            try:
                return await function(*args)
            finally:
                fake.returned_at = loop.time()

        task = loop.create_task(main(), name=name)
        done, _ = await asyncio.wait({task}, timeout=deadline)
        if task in done:
            return task.result()
        return Stuck(loop.time(), _waits(asyncio.all_tasks() - before))

    text = describe_call(name, args)
    with thread_locks_watched(learner.files) as found:
        try:
            call = learner.run_scenario(
                name, scenario, text=text, probes=(fake,), limit=deadline + GRACE
            )
        except CheckFailed as failure:
            if found:
                raise thread_lock_failure(text, found) from None
            if (
                "lock.acquire" in failure.message
            ):  # blockbuster saw a blocking lock.acquire()
                raise CheckFailed(
                    failure.message, THREAD_LOCK, failure.detail
                ) from None
            raise
    if found:
        raise thread_lock_failure(text, found)
    return call


def thread_lock_failure(text: str, found: list[Location]) -> CheckFailed:
    return CheckFailed(
        f"Called {text}. A task waited for a threading.Lock that another task held across an "
        f"await, at {found[0]}. That wait blocks the event loop's only thread, so the holder can "
        "never resume to release it: a deadlock (stopped by the check; it would hang forever).",
        THREAD_LOCK,
    )


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if inner := members(error):
        for one in inner:
            yield from _leaves(one)
    else:
        yield error


def result(call) -> Any:
    """What the call returned; a known mistake's exception fails with advice of its own."""
    error = call.run.error
    if error is not None:
        for leaf in _leaves(error):
            for kind, fragment, advice in KNOWN_ERRORS:
                if isinstance(leaf, kind) and fragment in str(leaf):
                    where = call.where(leaf)
                    said = OBJECT_REPR.sub(r"this asyncio.\1", error_text(leaf))
                    text = messages.RAISED.format(
                        call=call.text, error=said, where=where
                    )
                    raise CheckFailed(text, advice)
    return call.result()


def picture(
    fake: Recorder, expected: list[Span] | None = None, title: str = "Expected"
) -> str | None:
    spans = sorted(fake.spans(), key=lambda s: s.start)
    if not spans:
        return None
    expected = sorted(expected, key=lambda s: s.start) if expected else None
    return render(spans, expected, expected_title=title)


def stuck_generic(
    call, fake: Recorder, stuck: Stuck, what: str, advice: str
) -> CheckFailed:
    kinds = Counter(w.kind for w in stuck.waiting)
    waits = "; ".join(
        f"{plural(n, 'task')} waiting on an asyncio.{k}"
        for k, n in sorted(kinds.items())
    )
    quiet = max((o.end or o.start for o in fake.ops), default=0.0)
    return CheckFailed(
        f"Called {call.text}. It never returned: {what}, and from {secs(quiet)} of loop time on "
        f"nothing happened any more{' (' + waits + ')' if waits else ''}.",
        advice,
        picture(fake),
    )


# --- pay_all: asyncio.Lock ---------------------------------------------------------------------


def run_payments(learner, ledger: Ledger, payments: list[tuple[str, int]]):
    slowest = sum(ledger.delays.values()) * len(payments)
    return run(learner, "pay_all", (ledger, payments), ledger, deadline=slowest + GRACE)


@dataclass(frozen=True)
class Hold:
    """One payment's hold on a balance: its read, and the write that followed in its task."""

    read: Op
    write: Op | None

    @property
    def account(self) -> Any:
        return self.read.arg

    @property
    def end(self) -> float:
        return (self.write or self.read).end or float("inf")


def holds(ledger: Ledger) -> list[Hold]:
    by_task: dict[int, list[Op]] = defaultdict(list)
    for op in ledger.done():
        by_task[op.task].append(op)
    found = []
    for ops in by_task.values():
        for i, op in enumerate(ops):
            if op.name != "read_balance":
                continue
            write = None
            for later in ops[i + 1 :]:
                if later.name == "read_balance":
                    break
                if later.name == "write_balance" and same(later.arg, op.arg):
                    write = later
                    break
            found.append(Hold(op, write))
    return sorted(found, key=lambda h: h.read.start)


def race(ledger: Ledger, account: str) -> str:
    """A sentence on two payments that read the same balance before either wrote it, or ''."""
    mine = [h for h in holds(ledger) if h.account == account]
    for first, second in itertools.combinations(mine, 2):
        if first.write is not None and second.read.start < first.end - EXACT:
            return (
                f" {account}'s balance was read at {secs(first.read.start)} and again at "
                f"{secs(second.read.start)}, before the first payment had written its new balance "
                f"(at {secs(first.end)}): both payments checked the same old balance, "
                f"{second.read.value}."
            )
    return ""


def serial_outcomes(start: int, amounts: list[int]) -> set[tuple[bool, ...]]:
    """The approvals that making these payments one at a time, in some order, can give."""
    found = set()
    for order in itertools.permutations(range(len(amounts))):
        balance, approved = start, [False] * len(amounts)
        for i in order:
            if balance >= amounts[i]:
                balance -= amounts[i]
                approved[i] = True
        found.add(tuple(approved))
    return found


def judge_stuck_payments(call, ledger: Ledger, stuck: Stuck) -> None:
    locks = [w for w in stuck.waiting if w.kind == "Lock"]
    if locks:
        declined = [
            h for h in holds(ledger) if h.write is None and h.read.end is not None
        ]
        after = (
            f" The last payment that got the lock read {declined[-1].account}'s balance at "
            f"{secs(declined[-1].read.start)} and declined, and nobody got the lock after that."
            if declined
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}. It never returned: {plural(len(locks), 'payment')} waited for the "
            f"lock forever, though no payment was using it any more: one returned without "
            f"releasing it.{after}",
            RELEASE_LOCK,
            picture(ledger),
        )
    raise stuck_generic(
        call,
        ledger,
        stuck,
        "its payments stopped making progress",
        LOCK + " " + RELEASE_LOCK,
    )


def judge_payments(call, ledger: Ledger, payments: list[tuple[str, int]]) -> list[bool]:
    """Every payment read, checked and wrote its balance as if made one at a time."""
    if isinstance(call.run.value, Stuck):
        judge_stuck_payments(call, ledger, call.run.value)
    got = result(call)
    n = len(payments)
    if (
        type(got) not in (list, tuple)
        or len(got) != n
        or any(type(v) is not bool for v in got)
    ):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected a list of {n} booleans, one per "
            "payment in order: True if it was paid, False if the balance did not cover it."
        )
    accounts = list(dict.fromkeys(a for a, _ in payments))
    approved = [p for p, ok in zip(payments, got) if ok]
    for account in accounts:
        wanted = sum(1 for a, _ in payments if a == account)
        reads = len([o for o in ledger.done("read_balance") if same(o.arg, account)])
        if reads != wanted:
            raise CheckFailed(
                f"Called {call.text}. It read {account}'s balance {plural(reads, 'time')} for "
                f"{plural(wanted, 'payment')} from {account}: each payment reads the balance once, "
                "checks it covers the amount, and only then writes the new balance.",
                LOCK,
            )
    for hold in holds(ledger):
        if hold.write is None:
            continue
        taken = (
            hold.read.value - hold.write.args[1]
            if _is_number(hold.write.args[1])
            else None
        )
        amounts = [m for a, m in approved if same(hold.account, a)]
        if taken not in amounts:
            raise CheckFailed(
                f"Called {call.text}. A payment read {hold.account}'s balance, {hold.read.value}, "
                f"and then wrote {short(hold.write.args[1])}: the new balance is the balance read "
                f"minus the payment's amount ({listing(amounts) or 'no payment was approved'})."
            )
    for account in accounts:
        writes = len([o for o in ledger.done("write_balance") if same(o.arg, account)])
        paid = sum(1 for a, _ in approved if a == account)
        if writes != paid:
            raise CheckFailed(
                f"Called {call.text}. It returned {short(list(got))}, {plural(paid, 'payment')} from "
                f"{account} paid, but wrote {account}'s balance {plural(writes, 'time')}: write "
                "the new balance once for each payment made, and never for a declined one."
            )
    for account in accounts:
        start = ledger.initial[account]
        amounts = [m for a, m in payments if a == account]
        paid = [m for a, m in approved if a == account]
        if sum(paid) > start:
            raise CheckFailed(
                f"Called {call.text}. {account} had {start}, and payments of {listing(paid)} were "
                f"{'both' if len(paid) == 2 else 'all'} approved: {sum(paid)} paid from a balance of {start}.{race(ledger, account)}",
                LOCK,
                picture(ledger),
            )
        final = ledger.balances[account]
        if final != start - sum(paid):
            raise CheckFailed(
                f"Called {call.text}. {account} had {start} and the approved payments "
                f"({listing(paid)}) take {sum(paid)}, so {account} should end with "
                f"{start - sum(paid)}, but the ledger holds {final}: one payment's write overwrote "
                f"another's (a lost update).{race(ledger, account)}",
                LOCK,
                picture(ledger),
            )
        mine = tuple(ok for (a, _), ok in zip(payments, got) if a == account)
        if mine not in serial_outcomes(start, amounts):
            one_by_one = max(serial_outcomes(start, amounts))
            raise CheckFailed(
                f"Called {call.text}. For {account} (balance {start}, payments of "
                f"{listing(amounts)}) it returned {list(mine)}: no order of making these payments "
                f"one at a time gives that (e.g. {list(one_by_one)}). Decline a payment only when "
                "the balance read does not cover it."
            )
    # counted only when exactly (str, int): a learner's argument with a lying __hash__/__eq__ would
    # count as a payment it is not
    notified = Counter(
        o.args if type(o.args) is tuple and len(o.args) == 2 and type(o.args[0]) is str and type(o.args[1]) is int
        else ("?", repr(o.args))
        for o in ledger.done("notify")
    )
    if notified != Counter(approved):
        missing = list((Counter(approved) - notified).elements())
        extra = list((notified - Counter(approved)).elements())
        parts = [f"no notify for {listing(missing)}"] if missing else []
        parts += (
            [f"notify called for {listing(extra)}, which was not paid"] if extra else []
        )
        raise CheckFailed(
            f"Called {call.text}. {'; '.join(parts).capitalize()}: call "
            "`await ledger.notify(account, amount)` once for each payment made, after writing "
            "its new balance."
        )
    for op in ledger.done("notify"):
        written = [
            h.write
            for h in holds(ledger)
            if h.write is not None
            and same(h.account, op.arg)
            and _is_number(h.write.args[1])
            and h.read.value - h.write.args[1] == op.args[1]  # op.args: exactly (str, int), as counted above
        ]
        if not any(w.end is not None and w.end <= op.start + EXACT for w in written):
            raise CheckFailed(
                f"Called {call.text}. notify{op.args} started at {secs(op.start)}, before that "
                "payment's new balance was written: send the receipt only once the payment is "
                "made.",
                NOTIFY_OUTSIDE,
            )
    # when pay_all returned: the harness may run what it left behind to the end
    returned = ledger.returned_at if ledger.returned_at is not None else call.loop_time
    # (the harness cancels what is still running then: a cancelled call was left behind)
    late = [
        o
        for o in ledger.ops
        if o.end is None or o.end > returned + EXACT or o.outcome == "cancel"
    ]
    if late:
        raise CheckFailed(
            f"Called {call.text}. It returned at {secs(returned)} while "
            f"{late[0].name}{late[0].args} was still running: await every call (and every task "
            "you start) before returning."
        )
    return list(got)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def ideal_payments(
    ledger: Ledger, payments: list[tuple[str, int]]
) -> tuple[list[Span], float]:
    """One payment at a time holds the lock for its read and write; the receipts go out after."""
    r, w, n = (ledger.delays[k] for k in ("read_balance", "write_balance", "notify"))
    balances, t, end, spans = dict(ledger.initial), 0.0, 0.0, []
    for account, amount in payments:
        spans.append(Span(f"read {account}", t, t + r))
        if balances[account] >= amount:
            balances[account] -= amount
            spans.append(Span(f"write {account}", t + r, t + r + w))
            spans.append(Span(f"notify {account}", t + r + w, t + r + w + n))
            end, t = max(end, t + r + w + n), t + r + w
        else:
            end, t = max(end, t + r), t + r
    return spans, end


@pytest.mark.points(2)
def test_pay_all_never_overdraws(learner):
    """pay_all: two payments of 60 from a balance of 100 can't both pass the balance check"""
    ledger = Ledger({"ann": 100})
    payments = [("ann", 60), ("ann", 60)]
    call = run_payments(learner, ledger, payments)
    judge_payments(call, ledger, payments)


@pytest.mark.points(2)
def test_pay_all_loses_no_update(learner):
    """pay_all: payments of 30 and 50 from 100 leave 20: neither write overwrites the other"""
    ledger = Ledger({"bob": 100})
    payments = [("bob", 30), ("bob", 50)]
    call = run_payments(learner, ledger, payments)
    judge_payments(call, ledger, payments)


@pytest.mark.points(1)
def test_pay_all_keeps_every_account_right(learner):
    """pay_all: payments from two accounts, some declined, leave every balance right"""
    ledger = Ledger({"ann": 100, "bob": 60})
    payments = [
        ("ann", 70),
        ("bob", 80),
        ("ann", 40),
        ("bob", 20),
        ("ann", 30),
        ("bob", 30),
    ]
    call = run_payments(learner, ledger, payments)
    judge_payments(call, ledger, payments)


@pytest.mark.points(2)
def test_pay_all_notifies_outside_the_lock(learner):
    """pay_all: 3 payments (read 1 s, write 1 s, notify 3 s) take 9 s: notify outside the lock"""
    ledger = Ledger({"cy": 100})
    payments = [("cy", 10), ("cy", 20), ("cy", 30)]
    call = run_payments(learner, ledger, payments)
    judge_payments(call, ledger, payments)
    spans, end = ideal_payments(ledger, payments)
    took = call.loop_time
    if abs(took - end) <= EXACT:
        return
    drawn = picture(
        ledger, spans, f"Expected: the lock held for read and write only, {secs(end)}"
    )
    what = (
        f"Called {call.text}: read and write take 1 s, notify 3 s. It took {secs(took)} of loop "
        "time"
    )
    ops = ledger.done()
    if len({o.task for o in ops}) == 1:
        raise CheckFailed(
            f"{what}: all 3 payments ran in one task, one after another. Run together, with only "
            f"the read, the check and the write under the lock, they take {secs(end)}.",
            TOGETHER,
            drawn,
        )
    reads = sorted(o.start for o in ledger.done("read_balance"))
    receipts = [o.end for o in ledger.done("notify") if o.end is not None]
    waited = [t for t in reads[1:] if any(abs(t - e) <= EXACT for e in receipts)]
    if waited:
        raise CheckFailed(
            f"{what}: each payment read the balance only when the previous payment's notify had "
            f"ended (at {listing([secs(t) for t in waited])}), so the lock was held while the "
            f"receipt went out. Only the read, the check and the write need it: then the 3 "
            f"payments take {secs(end)}.",
            NOTIFY_OUTSIDE,
            drawn,
        )
    raise CheckFailed(
        f"{what}; with the lock held for each payment's read, check and write only, and the "
        f"notifications sent after it, they take {secs(end)}.",
        NOTIFY_OUTSIDE + " " + TOGETHER,
        drawn,
    )


# --- fetch_statements: asyncio.Semaphore ----------------------------------------------------------


def run_statements(learner, service: Statements, accounts: list[str], limit: int):
    slowest = sum(service.delays[a] for a in accounts)
    return run(
        learner,
        "fetch_statements",
        (service, accounts, limit),
        service,
        deadline=slowest + GRACE,
    )


def judge_statements(
    call, service: Statements, accounts: list[str], limit: int
) -> None:
    """It returned every statement (or its failure) in the order of the accounts."""
    stuck = call.run.value if isinstance(call.run.value, Stuck) else None
    if stuck is not None:
        judge_stuck_statements(call, service, accounts, limit, stuck)
    failures = list(service.errors.values())
    error = call.run.error
    if error is not None and any(leaf in failures for leaf in _leaves(error)):
        leaf = next(leaf for leaf in _leaves(error) if leaf in failures)
        raise CheckFailed(
            f"Called {call.text}. It raised {error_text(leaf)}, the failure of one fetch: one "
            "failing statement must not stop the others; its exception object goes in its place "
            "in the list.",
            SETTLED,
        )
    got = result(call)
    expected = [service.expected(a) for a in accounts]
    made = Counter(op.arg if type(op.arg) is str else "<not a str>" for op in service.done())  # no lying hash/eq
    wanted = Counter(accounts)
    if made != wanted:
        extra = sorted((made - wanted).elements())
        missing = sorted((wanted - made).elements())
        parts = [f"never fetched {listing(missing)}"] if missing else []
        parts += [f"fetched {listing(extra)} more than once"] if extra else []
        raise CheckFailed(
            f"Called {call.text}. It {' and '.join(parts)}: fetch each account's statement once."
        )
    if not same(list(got) if type(got) is tuple else got, expected):
        if type(got) is list and len(got) == len(expected):
            for account, g, e in zip(accounts, got, expected):
                if isinstance(e, BaseException) and g is not e:
                    raise CheckFailed(
                        f"Called {call.text}, where {account}'s statement fails with "
                        f"{error_text(e)}. In its place it returned {short(g)}: expected that "
                        "exception object itself.",
                        SETTLED,
                    )
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected the statements in the order "
            f"of the accounts, a failure's exception in its place: {short(expected)}."
        )


def free_place(
    service: Statements, limit: int, total: int
) -> tuple[float, int, int] | None:
    """The first moment a place was free while accounts were still waiting:
    (loop time, fetches running, accounts not yet started)."""
    ops = service.done()
    for t in sorted({o.start for o in ops} | {o.end for o in ops if o.end is not None}):
        running = sum(
            1
            for o in ops
            if o.start <= t + EXACT and (o.end is None or o.end > t + EXACT)
        )
        waiting = total - sum(1 for o in ops if o.start <= t + EXACT)
        if waiting > 0 and running < limit:
            return t, running, waiting
    return None


def ideal_statements(
    service: Statements, accounts: list[str], limit: int
) -> tuple[list[Span], float]:
    """Each account starts as soon as one of the `limit` places is free, in order."""
    places, spans = [0.0] * limit, []
    for account in accounts:
        places.sort()
        start = places[0]
        places[0] = start + service.delays[account]
        outcome = "fail" if account in service.errors else "finish"
        spans.append(Span(f"fetch {account}", start, places[0], outcome))
    return spans, max((s.end for s in spans), default=0.0)


def judge_limit(call, service: Statements, accounts: list[str], limit: int) -> None:
    """Never more than `limit` at once, and a place never stays free while accounts wait."""
    spans, end = ideal_statements(service, accounts, limit)
    title = f"Expected: {limit} at a time, the next as soon as one ends, {secs(end)}"
    peak = service.peak["fetch_statement"]
    if peak > limit:
        raise CheckFailed(
            f"Called {call.text}. Up to {peak} statements were fetched at the same time; the "
            f"limit is {limit}.",
            BOUND,
            picture(service, spans, title),
        )
    idle = free_place(service, limit, len(accounts))
    if idle is not None:
        t, running, waiting = idle
        failed = [
            o for o in service.done() if o.outcome == "fail" and o.end <= t + EXACT
        ]
        if failed:
            names = listing([f"fetch_statement({o.arg!r})" for o in failed])
            raise CheckFailed(
                f"Called {call.text}. {names} failed, and from then on fewer fetches ran at once: "
                f"at {secs(t)} only {running} of {limit} places were in use while "
                f"{plural(waiting, 'account')} waited. A failed fetch never gave its place back "
                "to the semaphore.",
                RELEASE,
                picture(service, spans, title),
            )
        raise CheckFailed(
            f"Called {call.text}. At {secs(t)} of loop time only {running} of {limit} statements were "
            f"being fetched while {plural(waiting, 'account')} still waited: a place was free and "
            "nobody took it. The next fetch starts the moment one ends (not in batches that wait "
            "for their slowest).",
            BOUND,
            picture(service, spans, title),
        )
    last = max((o.end for o in service.done() if o.end is not None), default=0.0)
    if abs(call.loop_time - last) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. The last statement was done at {secs(last)}, but it returned "
            f"only at {secs(call.loop_time)}: return as soon as every fetch is done.",
            BOUND,
        )


def judge_stuck_statements(call, service, accounts, limit, stuck: Stuck) -> None:
    started = Counter(o.arg for o in service.done())
    never = [a for a in accounts if not started[a]]
    failed = [o.arg for o in service.done() if o.outcome == "fail"]
    if stuck.count("Semaphore") and never and failed:
        raise CheckFailed(
            f"Called {call.text}. It never returned: {listing(never)} were never fetched. "
            f"{listing([f'fetch_statement({a!r})' for a in failed])} failed, and their places "
            "in the semaphore "
            f"were never given back, so {plural(stuck.count('Semaphore'), 'task')} waited in "
            "the semaphore forever.",
            RELEASE,
            picture(service),
        )
    raise stuck_generic(
        call, service, stuck, f"{listing(never) or 'no account'} never fetched", BOUND
    )


def run_judged_statements(learner, delays, accounts, limit, errors=None) -> None:
    service = Statements(delays, errors)
    call = run_statements(learner, service, accounts, limit)
    judge_statements(call, service, accounts, limit)
    judge_limit(call, service, accounts, limit)


TEN = ["ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo"]


@pytest.mark.points(1)
def test_statements_come_back_in_order(learner):
    """fetch_statements returns the statements in order, a failure's exception in its place"""
    delays = {"eve": 2.0, "ann": 1.0, "dee": 3.0, "bob": 0.5, "cy": 1.5}
    errors = {"dee": ConnectionError("dee's branch is offline")}
    service = Statements(delays, errors)
    accounts = ["eve", "ann", "dee", "bob", "cy"]
    call = run_statements(learner, service, accounts, 2)
    judge_statements(call, service, accounts, 2)


@pytest.mark.points(2)
def test_statements_respect_the_limit(learner):
    """fetch_statements with limit 3: 10 statements of 1 s, never more than 3 at once, in 4 s"""
    run_judged_statements(learner, dict.fromkeys(TEN, 1.0), TEN, 3)


@pytest.mark.points(1)
def test_statements_start_when_a_place_frees(learner):
    """fetch_statements starts the next fetch the moment one ends, not in batches"""
    delays = {
        "ann": 2.0,
        "bob": 1.0,
        "cy": 3.0,
        "dee": 1.0,
        "eve": 2.0,
        "fay": 1.0,
        "gus": 1.0,
    }
    run_judged_statements(learner, delays, list(delays), 3)


@pytest.mark.points(2)
@pytest.mark.parametrize(
    "limit, failing",
    [(3, ["bob"]), (2, ["ann", "bob"])],
    ids=["one-fails", "all-places-fail"],
)
def test_statements_failure_gives_its_place_back(learner, limit, failing):
    """fetch_statements: a failed fetch gives its place back; the others still run `limit` at once"""
    accounts = TEN[:8]
    delays = {a: (0.5 if a in failing else 1.0) for a in accounts}
    errors = {a: TimeoutError(f"{a}'s statement timed out") for a in failing}
    run_judged_statements(learner, delays, accounts, limit, errors)


# --- open_branch: asyncio.Event ---------------------------------------------------------------

TELLERS = {"ann": 0.5, "bob": 1.2, "cy": 0.8}
DOORS = 2.4137  # no poll period from the log-in ends lands on it


def run_branch(learner, branch: Branch, tellers: list[str]):
    slowest = sum(branch.logins.values()) + branch.doors + branch.serving * len(tellers)
    args = (branch.log_in, branch.open_doors, branch.serve, tellers)
    return run(learner, "open_branch", args, branch, deadline=slowest + GRACE)


def doors_at(branch: Branch) -> float:
    return next((o.end for o in branch.done("open_doors") if o.end is not None), 0.0)


def ready_at(branch: Branch, teller: str) -> float:
    """When the teller may start serving: logged in, and the doors open."""
    login = next((o.end for o in branch.done("log_in") if o.arg == teller), None)
    return max(login or 0.0, doors_at(branch))


def ideal_branch(branch: Branch, tellers: list[str]) -> tuple[list[Span], float]:
    spans = [Span(f"login {t}", 0.0, branch.logins[t]) for t in tellers]
    spans.append(Span("doors", 0.0, branch.doors))
    for t in tellers:
        ready = max(branch.logins[t], branch.doors)
        spans.append(Span(f"serve {t}", ready, ready + branch.serving))
    return spans, max(s.end for s in spans)


def judge_branch(call, branch: Branch, tellers: list[str]) -> None:
    """It returned what each teller served, in order; each logged in and served once."""
    stuck = call.run.value if isinstance(call.run.value, Stuck) else None
    if stuck is not None:
        judge_stuck_branch(call, branch, tellers, stuck)
    got = result(call)
    doors = branch.done("open_doors")
    if len(doors) != 1:
        raise CheckFailed(
            f"Called {call.text}. It called open_doors() {plural(len(doors), 'time')}: open the "
            "doors once, while the tellers log in.",
            EVENT,
        )
    for name, noun in (("log_in", "logged in"), ("serve", "served")):
        # only exact strs counted: an argument with a lying __hash__/__eq__ would count as a teller
        made = Counter(o.arg if type(o.arg) is str else "<not a str>" for o in branch.done(name))
        if made != Counter(tellers):
            raise CheckFailed(
                f"Called {call.text}. {name} was called for {listing(sorted(made.elements())) or 'nobody'}; "
                f"every teller ({listing(tellers)}) must be {noun} exactly once.",
                EVENT,
            )
    expected = [f"{t} served" for t in tellers]
    if not same(list(got) if type(got) is tuple else got, expected):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected what serve returned for each "
            f"teller, in the order of the tellers: {short(expected)}."
        )


def judge_stuck_branch(call, branch: Branch, tellers: list[str], stuck: Stuck) -> None:
    served = {o.arg for o in branch.done("serve")}
    logins = {o.arg: o.end for o in branch.done("log_in") if o.end is not None}
    opened = doors_at(branch)
    waiting = [t for t in tellers if t in logins and t not in served]
    if branch.done("open_doors") and waiting and stuck.waiting:
        late = [t for t in waiting if logins[t] > opened + EXACT]
        if late:
            t = late[0]
            raise CheckFailed(
                f"Called {call.text}. {t} logged in at {secs(logins[t])}, after the doors had opened "
                f"at {secs(opened)}, and never started serving (at {stuck.at:.0f} s of loop time it "
                "was still waiting): the "
                "signal was gone by the time the teller waited for it. An asyncio.Event stays set, "
                "and wait() on a set Event returns at once.",
                STAYS_SET,
                picture(branch),
            )
        raise CheckFailed(
            f"Called {call.text}. The doors opened at {secs(opened)}, but "
            f"{listing(waiting)} never started serving: still waiting at {secs(stuck.at)}. "
            "Nothing ever told them the doors were open.",
            EVENT,
            picture(branch),
        )
    what = "the branch never finished opening"
    if not branch.ops:
        what += ": it never even called log_in or open_doors"
    raise stuck_generic(call, branch, stuck, what, EVENT)


def judge_not_early(call, branch: Branch, tellers: list[str]) -> None:
    """No teller served before the doors were open."""
    spans, _ = ideal_branch(branch, tellers)
    opened = doors_at(branch)
    early = sorted(
        (o for o in branch.done("serve") if o.start < opened - EXACT),
        key=lambda o: o.start,
    )
    if early:
        op = early[0]
        login = next(o.end for o in branch.done("log_in") if o.arg == op.arg)
        right_after = abs(op.start - login) <= EXACT
        raise CheckFailed(
            f"Called {call.text}. serve({op.arg!r}) started at {secs(op.start)}, before the doors "
            f"opened at {secs(opened)}"
            + (
                f": {op.arg} went to work straight after logging in, without waiting for the "
                "doors (a forgotten `await` on event.wait(), or an event set too early?)."
                if right_after
                else "."
            ),
            EVENT,
            picture(branch, spans, f"Expected: nobody serves before {secs(opened)}"),
        )


def judge_start(call, branch: Branch, tellers: list[str]) -> None:
    """Every teller started serving the moment it was logged in and the doors were open."""
    judge_not_early(call, branch, tellers)
    spans, end = ideal_branch(branch, tellers)
    drawn = picture(
        branch,
        spans,
        f"Expected: everyone serves once logged in and the doors are open, {secs(end)}",
    )
    for op in sorted(branch.done("serve"), key=lambda o: o.start):
        lag = op.start - ready_at(branch, op.arg)
        if lag > EXACT:
            raise CheckFailed(
                f"Called {call.text}. The doors opened at {secs(doors_at(branch))} and "
                f"{op.arg} was logged in by then, but serve({op.arg!r}) started only at "
                f"{secs(op.start)}, {secs(lag)} later: the teller looked for the signal now and "
                "then (polling) instead of waiting for it.",
                NO_POLL,
                drawn,
            )


@pytest.mark.points(1)
def test_tellers_log_in_while_the_doors_open(learner):
    """open_branch: every teller logs in at once, while the doors open"""
    branch = Branch(TELLERS, DOORS)
    tellers = list(TELLERS)
    call = run_branch(learner, branch, tellers)
    judge_branch(call, branch, tellers)
    spans, end = ideal_branch(branch, tellers)
    drawn = picture(branch, spans, f"Expected: log-ins and doors at once, {secs(end)}")
    doors = branch.done("open_doors")[0]
    late = [o for o in branch.done("log_in") if o.start > EXACT]
    if late and all(o.start >= doors.end - EXACT for o in late):
        raise CheckFailed(
            f"Called {call.text}. The doors opened first (open_doors ran from {secs(doors.start)} "
            f"to {secs(doors.end)}), and the tellers began to log in only after: log in and open "
            "the doors at the same time; the tellers then wait for the doors.",
            EVENT,
            drawn,
        )
    if late:
        raise CheckFailed(
            f"Called {call.text}. log_in({late[0].arg!r}) started at {secs(late[0].start)}: all "
            "the tellers log in at once, at 0 s, each in its own task.",
            EVENT,
            drawn,
        )
    if doors.start > EXACT:
        raise CheckFailed(
            f"Called {call.text}. open_doors() started only at {secs(doors.start)}: the doors open "
            "while the tellers log in, from 0 s, not after.",
            EVENT,
            drawn,
        )


@pytest.mark.points(2)
def test_nobody_serves_before_the_doors_open(learner):
    """open_branch: no teller starts serving before open_doors() has returned"""
    branch = Branch(TELLERS, DOORS)
    tellers = list(TELLERS)
    call = run_branch(learner, branch, tellers)
    judge_branch(call, branch, tellers)
    judge_not_early(call, branch, tellers)


@pytest.mark.points(2)
def test_tellers_start_the_moment_the_doors_open(learner):
    """open_branch: every teller starts serving exactly when the doors open, all together"""
    branch = Branch(TELLERS, DOORS)
    tellers = list(TELLERS)
    call = run_branch(learner, branch, tellers)
    judge_branch(call, branch, tellers)
    judge_start(call, branch, tellers)


@pytest.mark.points(1)
def test_a_late_teller_starts_at_once(learner):
    """open_branch: a teller who logs in after the doors opened starts serving at once"""
    logins = {"ann": 0.5, "bob": 3.7, "cy": 0.8}
    branch = Branch(logins, DOORS)
    tellers = list(logins)
    call = run_branch(learner, branch, tellers)
    judge_branch(call, branch, tellers)
    spans, end = ideal_branch(branch, tellers)
    drawn = picture(
        branch,
        spans,
        f"Expected: each teller serves once logged in and the doors are open, {secs(end)}",
    )
    opened = doors_at(branch)
    for op in branch.done("serve"):
        ready = ready_at(branch, op.arg)
        if (
            op.start > ready + EXACT
            and abs(op.start - logins["bob"]) <= EXACT
            and op.arg != "bob"
        ):
            raise CheckFailed(
                f"Called {call.text}. {op.arg} was logged in at {secs(logins[op.arg])} and the doors "
                f"opened at {secs(opened)}, but serve({op.arg!r}) started only at "
                f"{secs(op.start)}, when bob had logged in: {op.arg} waited for everyone to log in.",
                STAYS_SET,
                drawn,
            )
    judge_start(call, branch, tellers)
