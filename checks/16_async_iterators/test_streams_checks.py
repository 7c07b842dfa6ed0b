"""Hidden checks of exercise 16: ticks, stream_items, matching_items, first_items, connection.

The fakes handed to the learner and the check's own consumer write one shared event
log, in order, at loop time: each fetch_page call and return, each item the consumer
asked for and got, the acquires and releases of the pool, what the body of an
``async with`` did, when a stream handed to first_items was closed and when the
learner's function returned. Every verdict is read from the order of that log, so
"page 3 was fetched before the consumer had page 1's last item" and "the stream was
closed only after first_items returned" are exact, in any correct style (an async
generator or a class with ``__anext__``; ``@asynccontextmanager`` or ``__aexit__``).

ticks, stream_items and connection are not coroutine functions, so
``learner.run_scenario`` (which insists on one) cannot call them: ``drive`` does what
it does, and first judges what the call gave back (a coroutine, a plain generator, a
plain context manager ...), so a function of the wrong kind gets its own message.

The harness's loop (grader/loop.py) closes async generators left open only after the
learner's function has returned (asyncio's finalizer hook, then
``loop.shutdown_asyncgens()``): a close logged before "returned" is the learner's.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from grader.expect import same
from grader.failure import CheckFailed
from grader.learner import Call, error_text, short
from grader.loop import CALLBACK_BUDGET, LOOP_LIMIT, run_coroutine

STREAM = (
    "Yield each item as soon as its page has arrived: `page = await fetch_page(number)`, "
    "then `for item in page: yield item`, and only after that loop fetch the next page. "
    "Each `yield` pauses your generator until the consumer asks for more. A list built "
    "before the first `yield` (by a loop or an async comprehension) is not a stream."
)
ASYNC_GEN = (
    "An `async def` with `yield` in its body is an async generator: `async for` goes "
    "through it, and it can `await` between items."
)
CLOSE = (
    "Breaking out of `async for` leaves an async generator paused at its `yield`, its "
    "`finally:` not run, until the event loop cleans it up some time later. Close it "
    "yourself before returning: `async with contextlib.aclosing(items):` around the "
    "`async for`, or `await items.aclose()` in a `finally:`."
)
FINALLY = (
    "Release in a `finally:`: with @contextlib.asynccontextmanager, "
    "`conn = await pool.acquire()`, then `try: yield conn` `finally: await "
    "pool.release(conn)`; the body's exception comes out of the `yield`. In a class, "
    "`__aexit__(self, exc_type, exc, tb)` runs on every exit: release there whatever "
    "exc_type is."
)
LET_OUT = (
    "Release, then let the exception out: with @asynccontextmanager, don't catch it "
    "around the `yield` (or re-raise it with a bare `raise`); a class's `__aexit__` must "
    "return None or False: a true value tells Python to swallow the exception."
)
NOT_EXCEPTION = (
    "Cancellation raises asyncio.CancelledError, a BaseException: `except Exception:` "
    "does not catch it. Release in a `finally:` (or in `__aexit__`, whatever exc_type "
    "is), and let the CancelledError out."
)
TAKE = (
    "Append the item, then `if len(found) == n: break`: checking before appending "
    "asks the stream for one item too many."
)


# --- the shared log ----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    at: float
    kind: str  # "fetch", "page", "ask", "got", "end", "acquire", "released", ...
    text: str  # how the learner reads it
    value: Any = None


class Log(list):
    """What happened, in order, at loop time."""

    def add(self, kind: str, text: str, value: Any = None) -> None:
        self.append(Entry(asyncio.get_running_loop().time(), kind, text, value))

    def find(self, kind: str, value: Any = None) -> int:
        """Index of the first entry of ``kind`` (with ``value``, one of the check's own
        labels or numbers), or -1."""
        for index, entry in enumerate(self):
            if entry.kind == kind and (value is None or same(entry.value, value)):
                return index
        return -1

    def nth(self, kind: str, number: int) -> int:
        """Index of the ``number``-th entry (from 1) of ``kind``, or -1."""
        found = [i for i, entry in enumerate(self) if entry.kind == kind]
        return found[number - 1] if 0 < number <= len(found) else -1

    def of(self, kind: str) -> list[Entry]:
        return [entry for entry in self if entry.kind == kind]

    def render(self, mark: int | None = None) -> str:
        """The log as numbered lines, the ``mark`` one pointed at; long logs keep the
        start, the lines around the mark and the end."""
        keep = set(range(min(len(self), 5))) | set(
            range(max(0, len(self) - 2), len(self))
        )
        if mark is not None:
            keep |= set(range(max(0, mark - 5), min(len(self), mark + 4)))
        if len(self) <= 18:
            keep = set(range(len(self)))
        lines = ["What happened, in order (loop time):"]
        previous = -1
        for index in sorted(keep):
            if index > previous + 1:
                lines.append(f"  {'':>6}  … {index - previous - 1} more …")
            entry = self[index]
            pointer = "   ◀ here" if index == mark else ""
            lines.append(f"  {entry.at:>5.2f} s  {entry.text}{pointer}")
            previous = index
        return "\n".join(lines)


def count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def ordinal(number: int) -> str:
    suffix = (
        "th"
        if 10 <= number % 100 <= 20
        else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


class Tracked:
    """Coroutines handed to the learner, to tell which were never awaited."""

    def __init__(self) -> None:
        self._handed_out: list[tuple[Any, str]] = []
        self.lost: list[str] = []  # labels of the coroutines that never began to run

    def track(self, coroutine: Any, label: str) -> Any:
        coroutine.__qualname__ = label  # how a leaked task is named to the learner
        self._handed_out.append((coroutine, label))
        return coroutine

    def never_awaited(self) -> int:
        """How many handed-out coroutines never began to run (closing them: no warning).
        The harness asks first, when the run ends; the count stays for the check."""
        for coroutine, label in self._handed_out:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
                self.lost.append(label)
        return len(self.lost)

    def spans(self) -> list:
        return []  # event order is the lesson here, not a schedule


# --- fakes ----------------------------------------------------------------------------


class NoSuchPage(LookupError):
    pass


class Pages(Tracked):
    """``fetch_page(n)``: page n of a paginated API after ``delay`` s; past the last
    page every page is empty. Pages are numbered from 1."""

    name = "fetch_page"

    def __init__(self, log: Log, pages: list[list[str]], delay: float = 1.0) -> None:
        super().__init__()
        self.log = log
        self.pages = [list(page) for page in pages]
        self.delay = delay
        self.calls: list[Any] = []

    @property
    def empty(self) -> int:
        """The number of the first empty page: the end of the stream."""
        return len(self.pages) + 1

    def __call__(self, number: Any) -> Any:
        self.calls.append(number)
        return self.track(self._fetch(number), f"fetch_page({number!r})")

    async def _fetch(self, number: Any) -> list[str]:
        if type(number) is not int or number < 1:  # exactly: an int subclass could lie to every comparison below
            raise NoSuchPage(
                f"there is no page {number!r}: pages are numbered 1, 2, 3, …"
            )
        if number > self.empty + 2:
            raise NoSuchPage(
                f"there is no page {number}: page {self.empty} was already empty"
            )
        self.log.add("fetch", f"fetch_page({number}) called", number)
        await asyncio.sleep(self.delay)
        page = list(self.pages[number - 1]) if number <= len(self.pages) else []
        self.log.add(
            "page", f"fetch_page({number}) returned {count(len(page), 'item')}", number
        )
        return page


class Conn:
    """A connection the pool hands out."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"<connection {self.number}>"


class Pool(Tracked):
    """``await pool.acquire()`` gives a new Conn after 0.5 s; ``await pool.release(conn)``
    takes 0.25 s. Both are logged."""

    name = "pool"

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log
        self.given: list[Conn] = []

    def acquire(self) -> Any:
        return self.track(self._acquire(), "pool.acquire()")

    def release(self, conn: Any) -> Any:
        self.log.add("release", f"pool.release({short(conn)}) called", conn)
        return self.track(self._release(conn), "pool.release()")

    async def _acquire(self) -> Conn:
        self.log.add("acquire", "pool.acquire() called")
        await asyncio.sleep(0.5)
        conn = Conn(len(self.given) + 1)
        self.given.append(conn)
        self.log.add("acquired", f"pool.acquire() returned {conn!r}", conn)
        return conn

    async def _release(self, conn: Any) -> None:
        await asyncio.sleep(0.25)
        self.log.add("released", f"pool.release({short(conn)}) returned", conn)

    def releases_of(self, conn: Any) -> list[int]:
        """Indexes of the "released" entries of ``conn`` (by identity)."""
        return [
            i
            for i, e in enumerate(self.log)
            if e.kind == "released" and e.value is conn
        ]


# --- calling what is not a coroutine function -------------------------------------------


class WrongKind(Exception):
    """What the learner's function gave back cannot be used as the exercise asks."""

    def __init__(self, kind: str, value: Any = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.value = value


async def as_async_iterator(made: Any) -> Any:
    """What ``async for`` would use, from what the learner's function returned."""
    if inspect.iscoroutine(made):
        value = await made  # an untouched stub's NotImplementedError comes out here
        raise WrongKind("coroutine", value)
    if inspect.isgenerator(made):
        # Run its first step, so the blocking guard sees what its body does; the verdict
        # is the kind of function, not what that step raised.
        with contextlib.suppress(Exception):
            next(made)
        made.close()
        raise WrongKind("generator")
    try:
        return aiter(made)
    except TypeError:
        raise WrongKind("other", made) from None


MANAGERS: list[Any] = []  # what connection(pool) returned, to tell it from a connection


async def as_context_manager(made: Any) -> Any:
    """What ``async with`` would use, from what the learner's function returned."""
    MANAGERS.append(made)
    if inspect.iscoroutine(made):
        value = await made
        raise WrongKind("coroutine", value)
    if inspect.isasyncgen(made):
        await made.aclose()
        raise WrongKind("async generator")
    kind = type(made)
    if hasattr(kind, "__aenter__") and hasattr(kind, "__aexit__"):
        return made
    if hasattr(kind, "__enter__"):
        raise WrongKind("context manager", made)
    raise WrongKind("other", made)


def drive(
    learner: Any,
    name: str,
    scenario: Callable[[Callable[..., Any]], Any],
    *,
    text: str,
    fakes: tuple[Any, ...],
    hang_causes: tuple[str, ...] = (),
) -> Call:
    """``learner.run_scenario`` for a function that is not ``async def`` without yield."""
    function = learner._runnable(name)
    run = learner._remember_stuck(
        name, run_coroutine(lambda: scenario(function), files=learner.files)
    )
    call = Call(name, text, run, learner, list(fakes))
    if isinstance(run.error, WrongKind):
        for fake in fakes:
            fake.never_awaited()
        raise CheckFailed(*wrong_kind(call, name, run.error))
    call.fail_on_harness_findings(LOOP_LIMIT, CALLBACK_BUDGET, hang_causes)
    return call


def wrong_kind(call: Call, name: str, wrong: WrongKind) -> tuple[str, str]:
    """(message, advice) for a function that gave back the wrong kind of object."""
    if name == "connection":
        use = "`async with` needs an async context manager"
        advice = (
            "Decorate `async def connection(pool):` with @contextlib.asynccontextmanager and "
            "`yield` the connection once, or write a class with `async def __aenter__` and "
            "`async def __aexit__`."
        )
        what = {
            "coroutine": "a coroutine: it is an `async def` without a `yield`",
            "async generator": (
                "an async generator: the `yield` is there, but the "
                "@contextlib.asynccontextmanager decorator above it is missing"
            ),
            "context manager": (
                f"{short(wrong.value)}, a plain (sync) context manager (with __enter__, "
                "not __aenter__): @contextlib.contextmanager instead of asynccontextmanager?"
            ),
        }.get(wrong.kind, f"{short(wrong.value)} ({type(wrong.value).__name__})")
        return f"Called {call.text}. connection(pool) returned {what}; {use}.", advice
    if wrong.kind == "coroutine":
        gave = (
            f" (awaited, it gave {short(wrong.value)}: yield the items one at a time instead)"
            if wrong.value is not None
            else ""
        )
        message = (
            f"Called {call.text}. It returned a coroutine{gave}: {name} is an `async def` "
            "without a `yield`, so `async for` cannot go through it."
        )
        return (
            message,
            f"{ASYNC_GEN} Put `yield` in {name}'s body, and don't `return` the items.",
        )
    if wrong.kind == "generator":
        blocked = call.run.blocking
        also = (
            f" Its body called {blocked[0].what} at "
            f"{blocked[0].where or call.learner.exercise.filename}, which freezes the whole "
            "event loop."
            if blocked
            else ""
        )
        message = (
            f"Called {call.text}. It returned a plain generator (a `def` with `yield`): "
            f"`async for` cannot go through it, and it cannot await.{also}"
        )
        advice = (
            f"Define it with `async def` (and keep the `yield`). {ASYNC_GEN} Wait with "
            "`await asyncio.sleep(...)`, never time.sleep, which blocks the loop."
        )
        return message, advice
    message = (
        f"Called {call.text}. It returned {short(wrong.value)} "
        f"({type(wrong.value).__name__}), which `async for` cannot go through (it has no "
        "__aiter__)."
    )
    return message, ASYNC_GEN


FORGOT_AWAIT_PAGE = (
    "Calling fetch_page(number) gives a coroutine; without `await` that coroutine was "
    "used as the page: a forgotten await. `page = await fetch_page(number)`."
)
SYNC_FOR = (
    "A plain `for` (or list()) cannot go through an async generator: use `async for`, "
    "or an async comprehension: `[item async for item in stream_items(fetch_page)]`."
)
AWAITED_GEN = (
    "An async generator is not awaited: go through it with `async for` (or an async "
    "comprehension)."
)
RAISED_STOP = (
    "End an async generator with `return`, not `raise StopAsyncIteration` (that one is "
    "for the __anext__ method of a class)."
)
NO_LEN = (
    "An async iterator has no length and no indexes: take its items one at a time with "
    "`async for`."
)
# (exception type, pattern in its message, what it means)
MISTAKES = (
    (
        TypeError,
        r"'coroutine' object is not iterable|type 'coroutine' has no len",
        FORGOT_AWAIT_PAGE,
    ),
    (TypeError, r"'async_generator' object is not iterable", SYNC_FOR),
    (TypeError, r"async_generator.* can't be used in 'await' expression", AWAITED_GEN),
    (RuntimeError, r"async generator raised StopAsyncIteration", RAISED_STOP),
    (
        TypeError,
        r"'async_generator' object is not subscriptable|has no len\(\)",
        NO_LEN,
    ),
)


def where(call: Call, error: BaseException) -> str:
    """The learner's line that raised ``error``, or the one that raised its cause: an async
    generator's ``raise StopAsyncIteration`` comes out as a RuntimeError raised by Python."""
    for candidate in (error, error.__cause__, error.__context__):
        if candidate is not None and call.learner.path.name + ":" in call.where(
            candidate
        ):
            return call.where(candidate)
    return call.where(error)


def explain_error(call: Call) -> None:
    """Fail on an exception the run raised, with what it means when it is a known mistake."""
    error = call.run.error
    if error is None:
        return
    for kind, pattern, meaning in MISTAKES:
        if isinstance(error, kind) and re.search(pattern, str(error)):
            raise CheckFailed(
                f"Called {call.text}. It raised {error_text(error)} at {where(call, error)}.",
                meaning,
            )
    call.result()  # the harness's message: what was raised, at which line


# --- the consumer -------------------------------------------------------------------


async def consume(stream: Any, log: Log, *, pause: float, most: int) -> list[Any]:
    """Take items one at a time, as `async for` does, pausing ``pause`` s after each;
    stop asking after ``most`` + 1 items (more than the stream should give)."""
    got: list[Any] = []
    while True:
        log.add("ask", f"consumer asks for item {len(got) + 1}", len(got) + 1)
        try:
            item = await anext(stream)
        except StopAsyncIteration:
            log.add("end", "the stream ended (StopAsyncIteration)")
            return got
        log.add("got", f"consumer got {short(item)}", item)
        got.append(item)
        if len(got) > most:
            return got
        if pause:
            await asyncio.sleep(pause)


# --- ticks -------------------------------------------------------------------------------


@pytest.mark.points(2)
def test_ticks_yields_each_tick_on_time(learner):
    """ticks(0.5, 4) yields 1, 2, 3 and 4 at 0.5, 1, 1.5 and 2 s of loop time, then ends"""
    log = Log()
    interval, number = 0.5, 4
    text = f"ticks({interval}, {number})"

    async def scenario(function):
        stream = await as_async_iterator(function(interval, number))
        return await consume(stream, log, pause=0, most=number)

    call = drive(learner, "ticks", scenario, text=text, fakes=())
    explain_error(call)
    got = call.run.value
    times = [e.at for e in log.of("got")]
    expected = list(range(1, number + 1))
    if not same(got, expected):
        ended = "then ended" if log.of("end") else "and had still not ended"
        raise CheckFailed(
            f"Called {text} and took its items with `async for`. It gave {short(got)}, "
            f"{ended}; expected the ticks {expected}, then the end.",
            "Yield the tick numbers 1, 2, ..., count, one per interval: "
            "`for tick in range(1, count + 1):`.",
            log.render(),
        )
    due = [interval * k for k in expected]
    late = next(
        (k for k, (t, d) in enumerate(zip(times, due), 1) if abs(t - d) > 1e-6), None
    )
    if late is not None:
        shown = ", ".join(f"{t:g}" for t in times)
        if len(set(times)) == 1 and times[0] >= due[-1] - 1e-6:
            why = "it waited for every tick first, then gave them all at once"
        elif abs(times[0]) <= 1e-6:
            why = "it waited after each tick instead of before"
        else:
            why = f"tick {late} came at {times[late - 1]:g} s, not {due[late - 1]:g} s"
        raise CheckFailed(
            f"Called {text} and took each tick as soon as it came. The ticks came at {shown} s "
            f"of loop time; expected at {', '.join(f'{d:g}' for d in due)} s: {why}.",
            "In the loop, first `await asyncio.sleep(interval)`, then `yield tick`: each tick "
            "reaches the consumer the moment it is due.",
            log.render(mark=log.nth("got", late)),
        )
    end = log.find("end")
    if end != -1 and log[end].at > due[-1] + 1e-6:
        raise CheckFailed(
            f"Called {text} and took each tick as soon as it came. The ticks came on time, but "
            f"the end came only at {log[end].at:g} s, {log[end].at - due[-1]:g} s after tick "
            f"{number}: it waited once more before it found there were no more ticks, and the "
            "consumer's `async for` waited with it.",
            "Stop right after the last tick: `for tick in range(1, count + 1):` does; in a "
            "class, raise StopAsyncIteration before the sleep once count ticks were given.",
            log.render(mark=end),
        )


# --- stream_items -------------------------------------------------------------------------

ANIMALS = [["ant", "bee", "cat"], ["dog", "eel"], ["fox", "gnu", "hen"]]


def run_stream(learner, pages: Pages, log: Log, *, pause: float) -> Call:
    items = [item for page in pages.pages for item in page]

    async def scenario(function):
        stream = await as_async_iterator(function(pages))
        return await consume(stream, log, pause=pause, most=len(items))

    return drive(
        learner,
        "stream_items",
        scenario,
        text="stream_items(fetch_page)",
        fakes=(pages,),
        hang_causes=(
            "an await on something that never happens (an Event nobody sets, a task never started)",
            "a wait for a page that is never fetched",
        ),
    )


def judge_pages_fetched(call: Call, pages: Pages, log: Log) -> None:
    """Past the end, twice, out of order, never awaited: how the pages were fetched."""
    past = [n for n in pages.calls if isinstance(n, int) and n > pages.empty]
    if past:
        raise CheckFailed(
            f"Called {call.text}. Page {pages.empty} came back empty, and it went on to call "
            f"fetch_page({past[0]}): an empty page means there are no more.",
            "After `page = await fetch_page(number)`, `if not page: return` ends the generator "
            "(and so the consumer's `async for`).",
            log.render(mark=log.find("fetch", past[0])),
        )
    lost = pages.never_awaited()
    if lost and call.run.error is None:
        raise CheckFailed(
            f"Called {call.text}. {count(lost, 'fetch_page(...) call')} made but never "
            "awaited: a forgotten await.",
            "`page = await fetch_page(number)`.",
        )
    explain_error(call)
    fetched = [e.value for e in log.of("fetch")]
    twice = sorted({n for n in fetched if fetched.count(n) > 1})
    if twice:
        raise CheckFailed(
            f"Called {call.text}. It fetched page {twice[0]} {fetched.count(twice[0])} times: "
            "fetch each page once.",
            "Keep the page you fetched in a variable and go through its items from there.",
            log.render(),
        )


@pytest.mark.points(1)
def test_stream_items_yields_every_item_in_order(learner):
    """stream_items yields every item of every page, in order, and ends at the empty page"""
    for shape in (ANIMALS, []):
        log = Log()
        pages = Pages(log, shape)
        call = run_stream(learner, pages, log, pause=0)
        judge_pages_fetched(call, pages, log)
        expected = [item for page in shape for item in page]
        got = call.run.value
        where = f"pages {ANIMALS} and an empty page 4" if shape else "an empty page 1"
        if not same(got, expected) or not log.of("end"):
            more = "then ended" if log.of("end") else "and did not end there"
            raise CheckFailed(
                f"Called {call.text} with {where}, and took its items with `async for`. It "
                f"gave {short(got)}, {more}; expected {short(expected)}, then the end.",
                "Yield each item of each page, in order (`for item in page: yield item`), "
                "fetching pages 1, 2, 3, ... and return at the first empty page.",
                log.render(),
            )
        fetched = [e.value for e in log.of("fetch")]
        if fetched != list(range(1, pages.empty + 1)):
            raise CheckFailed(
                f"Called {call.text} with {where}. It fetched the pages "
                f"{fetched}; expected 1 to {pages.empty}, in order, each once.",
                None,
                log.render(),
            )


@pytest.mark.points(2)
def test_stream_items_streams_page_by_page(learner):
    """stream_items fetches a page only when the consumer has taken every item of the one before"""
    log = Log()
    pages = Pages(log, ANIMALS)
    pause = 0.5
    call = run_stream(learner, pages, log, pause=pause)
    judge_pages_fetched(call, pages, log)
    got = call.run.value
    expected = [item for page in ANIMALS for item in page]
    if not same(got, expected):
        raise CheckFailed(
            f"Called {call.text} and took its items one at a time. It gave {short(got)}; "
            f"expected {short(expected)}.",
            None,
            log.render(),
        )
    gots = {e.value: i for i, e in enumerate(log) if e.kind == "got"}
    first_got = min(gots.values())
    for index, entry in enumerate(log):
        if entry.kind != "fetch" or entry.value < 2:
            continue
        before = pages.pages[entry.value - 2]  # the page before this one
        if index > gots[before[-1]]:
            continue
        taken = sum(1 for item in before if gots[item] < index)
        collected = all(i < first_got for i, e in enumerate(log) if e.kind == "fetch")
        steps = (
            f"called fetch_page(1) to fetch_page({pages.empty}) (page {pages.empty} is empty) "
            "before the consumer got its first item: it collected every item first, then "
            "handed them out. A consumer that needs only the first item still waits for "
            "every page, and all of them are held in memory at once"
            if collected
            else f"called fetch_page({entry.value}) when the consumer had taken "
            f"{taken} of the {count(len(before), 'item')} of page {entry.value - 1}: it "
            "read ahead"
        )
        raise CheckFailed(
            f"Called {call.text} and took its items one at a time, with {pause:g} s of work "
            f"after each. It {steps}. A stream fetches page {entry.value} only when the "
            f"consumer asks for the item after page {entry.value - 1}'s last.",
            STREAM,
            log.render(mark=first_got if collected else index),
        )


# --- matching_items ---------------------------------------------------------------------


@pytest.mark.points(1)
def test_matching_items_collects_matches_from_every_page(learner):
    """matching_items returns the items containing the word, from every page, in order"""
    for shape, word, expected in ((ANIMALS, "e", ["bee", "eel", "hen"]), ([], "e", [])):
        log = Log()
        pages = Pages(log, shape)
        text = f"matching_items(fetch_page, {word!r})"

        async def scenario(function, pages=pages, word=word):
            return await function(pages, word)

        call = learner.run_scenario(
            "matching_items", scenario, text=text, probes=(pages,)
        )
        judge_pages_fetched(call, pages, log)
        got = call.run.value
        where = f"pages {ANIMALS}" if shape else "an empty page 1"
        if not same(got, expected):
            raise CheckFailed(
                f"Called {text} with {where}. It returned {short(got)}; expected "
                f"{short(expected)}: the items containing {word!r}, from every page, in order.",
                "`return [item async for item in stream_items(fetch_page) if word in item]`.",
                log.render(),
            )


# --- first_items ------------------------------------------------------------------------


async def source(log: Log, size: int, delay: float = 0.5):
    """The async iterator handed to first_items: "item 1" ... "item <size>", each after
    ``delay`` s; it logs each item asked for and given, and when it is closed."""
    try:
        for number in range(1, size + 1):
            log.add("asked", f"the stream is asked for item {number}", number)
            await asyncio.sleep(delay)
            log.add("gave", f"the stream gives 'item {number}'", number)
            yield f"item {number}"
        log.add("exhausted", "the stream has no more items")
    finally:
        # the task that closed it: the learner's own, or one the event loop's clean-up made
        log.add(
            "closed", "the stream is closed (its finally: runs)", asyncio.current_task()
        )


def run_first(learner, size: int, n: int) -> tuple[Call, Log]:
    log = Log()
    text = f"first_items(items, {n})"

    async def scenario(function):
        items = source(log, size)
        value = await function(items, n)
        log.add("returned", f"first_items returned {short(value)}", value)
        # the tasks first_items left behind: a close started in one of them is its own
        log.left_behind = asyncio.all_tasks() - {asyncio.current_task()}
        return (
            value  # items is still referenced here: only first_items can have closed it
        )

    call = learner.run_scenario(
        "first_items", scenario, text=f"{text} on a stream of {size}"
    )
    if call.run.error is not None and isinstance(call.run.error, StopAsyncIteration):
        raise CheckFailed(
            f"Called {call.text}. It raised StopAsyncIteration at {call.where(call.run.error)}: "
            "it asked for more items than the stream has.",
            "`async for` stops by itself when the stream ends; `await anext(items)` raises "
            "StopAsyncIteration there.",
            log.render(),
        )
    explain_error(call)
    return call, log


def judge_first(call: Call, log: Log, expected: list[str]) -> None:
    got = call.run.value
    if not same(got, expected):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected {short(expected)}.",
            None,
            log.render(),
        )


@pytest.mark.points(2)
def test_first_items_closes_the_stream(learner):
    """first_items(items, 3) returns the first 3 items and closes the stream before it returns"""
    call, log = run_first(learner, 8, 3)
    judge_first(call, log, ["item 1", "item 2", "item 3"])
    closed, returned = log.find("closed"), log.find("returned")
    if closed == -1 or closed > returned:
        later = (
            "It was closed only later, by the event loop's clean-up of forgotten async "
            "generators"
            if closed != -1
            else "It was never closed"
        )
        if closed != -1 and log[closed].value in getattr(log, "left_behind", ()):
            later = (
                "It started the close in a task and returned without waiting for it: the "
                "stream was closed only after first_items had returned"
            )
        raise CheckFailed(
            f"Called {call.text}. It returned while the stream was still open, paused at its "
            f"`yield`: its `finally:` had not run. {later}. A stream often holds a "
            "connection or a file, which stays in use until it is closed.",
            CLOSE + " (`items.aclose()` without await does nothing.)",
            log.render(mark=returned),
        )


@pytest.mark.points(1)
def test_first_items_takes_no_item_past_the_nth(learner):
    """first_items(items, 3) asks the stream for 3 items, not one more"""
    call, log = run_first(learner, 8, 3)
    judge_first(call, log, ["item 1", "item 2", "item 3"])
    asked = [e.value for e in log.of("asked")]
    if len(asked) > 3:
        index = log.find("asked", 4)
        if log.find("exhausted") != -1:
            what = f"read the whole stream ({len(asked)} items) to return the first 3"
            advice = (
                "Stop as soon as you have n items: `async for` with a `break`. Collecting "
                "everything (an async comprehension) and slicing reads the whole stream, "
                "which may be endless."
            )
        else:
            what = f"asked the stream for a {ordinal(len(asked))} item (and waited for it) to return 3"
            advice = TAKE
        raise CheckFailed(
            f"Called {call.text}, where each item takes 0.5 s to come. It {what}.",
            advice,
            log.render(mark=index),
        )


@pytest.mark.points(1)
def test_first_items_handles_a_short_stream(learner):
    """first_items(items, 5) on a stream of 3 returns its 3 items"""
    call, log = run_first(learner, 3, 5)
    judge_first(call, log, ["item 1", "item 2", "item 3"])


# --- connection -------------------------------------------------------------------------

WITH = "`async with connection(pool) as conn:`"
GRACE = 1.0  # s of loop time after the `async with`: a release left running shows in the log


def run_connection(
    learner, scenario: Callable[..., Any], pool: Pool, text: str
) -> Call:
    return drive(
        learner,
        "connection",
        scenario,
        text=text,
        fakes=(pool,),
        hang_causes=(
            "a `finally:` or __aexit__ that waits for something that never happens (an Event "
            + "nobody sets, a done callback that is never called)",
            "an acquire that waits for a connection nobody gives back",
        ),
    )


def judge_handover(call: Call, log: Log, pool: Pool, label: str) -> Conn:
    """The body got a connection the pool gave out, still unreleased; return it."""
    body = next(
        (i for i, e in enumerate(log) if e.kind == "body" and e.value[0] == label), -1
    )
    if body == -1:
        raise CheckFailed(
            f"Called {call.text}. The body of the `async with` never ran.",
            None,
            log.render(),
        )
    conn = log[body].value[1]
    if any(conn is manager for manager in MANAGERS):
        raise CheckFailed(
            f"Called {call.text}. `conn` in the body was the object connection(pool) returned, "
            "not the connection `await pool.acquire()` gave: `as conn` gets "
            "what `__aenter__` returns, and it returned self.",
            "Return the connection from `__aenter__`: `self.conn = await self.pool.acquire()`, "
            "then `return self.conn`.",
            log.render(mark=body),
        )
    if inspect.iscoroutine(conn) or inspect.isawaitable(conn):
        raise CheckFailed(
            f"Called {call.text}. `conn` in the body was {short(conn)}, an awaitable, not a "
            "connection: a forgotten await on pool.acquire().",
            "`conn = await pool.acquire()`, then give the body that conn.",
            log.render(mark=body),
        )
    if not any(conn is given for given in pool.given):
        what = "the pool itself" if conn is pool else short(conn)
        raise CheckFailed(
            f"Called {call.text}. `conn` in the body was {what}; expected the connection "
            f"`await pool.acquire()` returned{f' ({pool.given[0]!r})' if pool.given else ''}.",
            "With @asynccontextmanager, `yield conn`; in a class, `__aenter__` returns it.",
            log.render(mark=body),
        )
    released = pool.releases_of(conn)
    if released and released[0] < body:
        raise CheckFailed(
            f"Called {call.text}. {conn!r} was released before the body ran: the body got a "
            "connection already given back.",
            "Release after the body: after the `yield` (in a `finally:`), or in `__aexit__`.",
            log.render(mark=released[0]),
        )
    return conn


def judge_released(
    call: Call, log: Log, pool: Pool, conn: Conn, label: str, why: str, advice: str
) -> None:
    """``conn`` was released exactly once, and the release had finished when the `async with` ended."""
    after = log.find("after", label)
    end = after if after != -1 else len(log)
    released = [i for i in pool.releases_of(conn) if i < end]
    called = [
        i for i, e in enumerate(log[:end]) if e.kind == "release" and e.value is conn
    ]
    if not released:
        if pool.never_awaited() and "pool.release()" in pool.lost:
            raise CheckFailed(
                f"Called {call.text}{why}. pool.release({conn!r}) was called but never "
                "awaited, so the connection was never released: a forgotten await.",
                "`await pool.release(conn)`.",
                log.render(),
            )
        exit_from = log.find("body end", label)
        other = [
            e.value
            for e in log[exit_from:end]
            if e.kind == "release" and e.value is not conn
        ]
        if exit_from != -1 and other:
            whose = next(
                (e.value[0] for e in log.of("body") if e.value[1] is other[0]), None
            )
            raise CheckFailed(
                f"Called {call.text}{why}. When that `async with` ended, it released "
                f"{short(other[0])}"
                + (f", body {whose}'s connection," if whose else "")
                + f" instead of {conn!r}, the connection its body got"
                + (
                    ": the connection was kept where the other `async with` overwrote it (in a "
                    "global, or on the class)."
                    if whose
                    else "."
                ),
                "Keep each connection in a local variable of the generator (or on `self` in a "
                "class: one object per `connection(pool)` call), and release exactly that one.",
                log.render(
                    mark=next(
                        i for i in range(exit_from, end) if log[i].kind == "release"
                    )
                ),
            )
        later = any(e.kind == "release" and e.value is conn for e in log)
        raise CheckFailed(
            f"Called {call.text}{why}. When the `async with` ended, {conn!r} had not been "
            + (
                "released: its release was still running (not awaited where it was started)."
                if called or later
                else "released: it stays taken, and a pool that lends all its connections out "
                "this way soon has none left."
            ),
            advice,
            log.render(mark=after if after != -1 else None),
        )
    if len(released) > 1:
        raise CheckFailed(
            f"Called {call.text}{why}. {conn!r} was released {len(released)} times: release it once.",
            "Release in one place only: a `finally:` runs on every exit, so no other release is needed.",
            log.render(mark=released[1]),
        )


@pytest.mark.points(1)
def test_connection_hands_over_and_releases(learner):
    """`async with connection(pool) as conn:` gives the body a connection and releases it after"""
    log = Log()
    pool = Pool(log)

    async def scenario(function):
        manager = await as_context_manager(function(pool))
        async with manager as conn:
            log.add("body", f"the body starts, with conn = {short(conn)}", ("A", conn))
            await asyncio.sleep(1.0)
            log.add("body end", "the body ends", "A")
        log.add("after", "after the `async with`", "A")
        await asyncio.sleep(GRACE)

    call = run_connection(learner, scenario, pool, WITH)
    explain_error(call)
    conn = judge_handover(call, log, pool, "A")
    judge_released(call, log, pool, conn, "A", "", FINALLY)
    acquired = log.of("acquire")
    if len(acquired) != 1:
        raise CheckFailed(
            f"Called {call.text}. pool.acquire() was called {len(acquired)} times: acquire one "
            "connection per `async with`.",
            None,
            log.render(),
        )


@pytest.mark.points(1)
def test_connection_gives_each_body_its_own(learner):
    """two `async with connection(pool)` at the same time each get and release their own connection"""
    log = Log()
    pool = Pool(log)

    async def scenario(function):
        async def user(label: str, hold: float) -> None:
            manager = await as_context_manager(function(pool))
            async with manager as conn:
                log.add(
                    "body",
                    f"body {label} starts, with conn = {short(conn)}",
                    (label, conn),
                )
                await asyncio.sleep(hold)
                log.add("body end", f"body {label} ends", label)
            log.add("after", f"after `async with` {label}", label)

        await asyncio.gather(user("A", 2.0), user("B", 1.0))
        await asyncio.sleep(GRACE)

    call = run_connection(
        learner, scenario, pool, f"{WITH} twice at the same time (bodies A and B)"
    )
    explain_error(call)
    conns = [judge_handover(call, log, pool, label) for label in "AB"]
    if conns[0] is conns[1]:
        raise CheckFailed(
            f"Called {call.text}. Both bodies got the same connection, {conns[0]!r}: the second "
            "`async with` replaced the first one's connection (kept in a global, or on the class?).",
            "Keep each connection in a local variable of the generator (or on `self` in a class, "
            "one object per `connection(pool)` call).",
            log.render(),
        )
    for label, conn in zip("AB", conns):
        judge_released(
            call, log, pool, conn, label, f", where body {label} got {conn!r}", FINALLY
        )


@pytest.mark.points(2)
def test_connection_releases_when_the_body_raises(learner):
    """connection releases the connection when the body raises, and lets the exception out"""
    log = Log()
    pool = Pool(log)
    error = RuntimeError("the query failed")
    came_out: list[BaseException | None] = []

    async def scenario(function):
        manager = await as_context_manager(function(pool))
        try:
            async with manager as conn:
                log.add(
                    "body", f"the body starts, with conn = {short(conn)}", ("A", conn)
                )
                await asyncio.sleep(1.0)
                log.add("body end", f"the body raises {error_text(error)}", "A")
                raise error
        except Exception as raised:  # noqa: BLE001 - whatever came out of the async with
            came_out.append(raised)
        else:
            came_out.append(None)
        log.add("after", "after the `async with`", "A")
        await asyncio.sleep(GRACE)

    text = f"{WITH} with a body that raises {error_text(error)}"
    call = run_connection(learner, scenario, pool, text)
    explain_error(call)
    conn = judge_handover(call, log, pool, "A")
    judge_released(call, log, pool, conn, "A", "", FINALLY)
    got = came_out[0] if came_out else None
    if got is None:
        raise CheckFailed(
            f"Called {call.text}. The connection was released, but the {error_text(error)} did "
            "not come out of the `async with`: connection swallowed it, and the caller never "
            "learns that the query failed.",
            LET_OUT,
            log.render(),
        )
    if got is not error:
        raise CheckFailed(
            f"Called {call.text}. The connection was released, but {error_text(got)} came out "
            f"of the `async with` (at {call.where(got)}) instead of the body's {error_text(error)}.",
            LET_OUT,
            log.render(),
        )


@pytest.mark.points(1)
def test_connection_releases_when_cancelled(learner):
    """connection releases the connection when the task in its body is cancelled"""
    log = Log()
    pool = Pool(log)
    ended: list[str] = []

    async def scenario(function):
        async def user() -> None:
            manager = await as_context_manager(function(pool))
            async with manager as conn:
                log.add(
                    "body", f"the body starts, with conn = {short(conn)}", ("A", conn)
                )
                await asyncio.sleep(10.0)
                log.add("body end", "the body ends", "A")

        task = asyncio.create_task(user())
        await asyncio.sleep(2.0)
        log.add("body end", "the task running the body is cancelled", "A")
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            ended.append("cancelled")
        else:
            ended.append("returned")
        log.add("after", "the task has ended", "A")
        await asyncio.sleep(GRACE)

    call = run_connection(
        learner, scenario, pool, f"{WITH} in a task, cancelled at 2 s while in the body"
    )
    explain_error(call)
    conn = judge_handover(call, log, pool, "A")
    judge_released(call, log, pool, conn, "A", "", NOT_EXCEPTION)
    if ended != ["cancelled"]:
        raise CheckFailed(
            f"Called {call.text}. The connection was released, but the task then ended as if "
            "nothing had happened: the CancelledError was swallowed, and whoever cancelled the "
            "task cannot tell it stopped.",
            "Let the CancelledError out after releasing: `finally:`, not `except`.",
            log.render(),
        )
