"""Hidden checks of exercise 13: fetch_settled, fetch_all, upload.

Every verdict comes from loop time and from what the fakes handed to the learner
recorded: when each call started, finished, failed or was cancelled, which task ran
it and whether that task's exception was ever read, whether the connection was closed,
and how a task the check cancelled ended (cancelled, returned, raised, still running).
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from typing import Any

import pytest

from grader import expect
from grader.failure import CheckFailed
from grader.learner import describe_call, error_text, holds, members, short
from grader.probes import Probe
from grader.timeline import Span

EXACT = expect.EXACT

SETTLED = "asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)"
SETTLED_ADVICE = (
    "Collect the failures instead of raising them: `outcomes = await "
    f"{SETTLED}` puts each exception in the list in its item's place; then sort "
    "each outcome into results or errors with `isinstance(outcome, Exception)`."
)
EXCEPT_STAR = (
    "Run the fetches in `async with asyncio.TaskGroup() as group:` and put it in a `try:` with "
    "`except* LookupError as missing_group:`; `missing_group.exceptions` holds every "
    "LookupError, and any other exception goes on out by itself."
)
GROUP_NOT_MATCHED = (
    "A TaskGroup wraps its tasks' exceptions in an ExceptionGroup, and `except LookupError` "
    "does not match a group (nor does a LookupError inside one)."
)
CLOSE_IN_FINALLY = (
    "Put the close in a `finally:` around the sends: `connection = await connect()`, then "
    "`try:` ... `finally: await connection.close()`. It runs however the block is left: "
    "a return, an exception, or a cancellation."
)


def reraise(narrow: str) -> str:
    return (
        f"Catch only the exceptions you mean (`{narrow}`): CancelledError is how cancel() stops "
        "your code, raised at the await where it is paused. `except:` and `except BaseException:` "
        "catch it too; if you must catch it, clean up and `raise` it again."
    )


RERAISE = reraise("except ValueError as error:")
LOST = (
    "Wait for every task in a way that reads its outcome: asyncio.gather (with "
    "return_exceptions=True to keep going), a TaskGroup, or task.exception() on each task."
)


def secs(value: float) -> str:
    """Loop time as the learner reads it: exact to 10 ms, no trailing zeros (1 s, 1.5 s)."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def show(value: Any, depth: int = 0) -> str:
    """A value as the learner would print it, exceptions whole: (None, [LookupError('no fig')])."""
    try:
        return _show(value, depth)
    except Exception:  # noqa: BLE001  a learner's object whose str() fails still prints
        return short(value)


def _show(value: Any, depth: int) -> str:
    if isinstance(value, BaseException):
        text = (
            f"{type(value).__name__}({str(value)!r})"
            if str(value)
            else f"{type(value).__name__}()"
        )
        return text if len(text) <= 60 else text[:57] + "...)"
    if depth < 2 and type(value) in (list, tuple) and len(value) <= 8:
        inner = ", ".join(show(v, depth + 1) for v in value)
        return (
            f"[{inner}]"
            if type(value) is list
            else f"({inner}{',' if len(value) == 1 else ''})"
        )
    if depth < 2 and type(value) is dict and len(value) <= 8:
        return (
            "{"
            + ", ".join(f"{show(k)}: {show(v, depth + 1)}" for k, v in value.items())
            + "}"
        )
    return short(value)


def names(items: list[Any]) -> str:
    """'kiwi', 'pear' and 'apple' -> kiwi, pear and apple."""
    shown = [str(item) for item in items]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]



def replaced(raised: BaseException | None, wanted: list[BaseException]) -> bool:
    """``raised`` is a new exception raised while one of ``wanted`` was handled (its
    ``__cause__`` or ``__context__`` chain holds it): the original was swapped for it."""
    seen: set[int] = set()
    todo = [raised]
    while todo:
        error = todo.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if error is not raised and holds(error, wanted):
            return True
        todo += [error.__cause__, error.__context__]
        if isinstance(error, BaseExceptionGroup):
            todo += list(members(error))
    return False


def judge_replaced(
    call, where: str, raised: BaseException, error: BaseException, advice: str
) -> None:
    """Fail when ``raised`` is a new exception put in the place of ``error``."""
    if replaced(raised, [error]):
        raise CheckFailed(
            f"{where} It raised {error_text(raised)} at {call.where(raised)}, a new exception, "
            f"instead of letting the {type(error).__name__} itself out: its type, its message "
            "and its traceback are lost to the caller.",
            advice,
        )


def unretrieved(task: asyncio.Task) -> bool:
    """The task failed and nothing has read its exception ("exception was never retrieved")."""
    return (
        task.done()
        and not task.cancelled()
        and bool(getattr(task, "_log_traceback", False))
    )


# --- the fakes ----------------------------------------------------------------------


async def outside_the_run() -> None:
    """Called with no loop running, a fake pauses instead of raising.

    A coroutine the harness gave up on (it refused its cancellation) is closed when it is
    garbage-collected, perhaps in a later check or at exit: Python throws GeneratorExit into
    it. A learner's retry loop with a bare `except:` swallows that and calls the fake again;
    a fake that raised ("no running event loop") would be swallowed too, for ever, growing
    its call list until memory runs out. Pausing makes Python stop the coroutine at once
    ("coroutine ignored GeneratorExit").
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        await asyncio.sleep(0)  # a bare yield: needs no loop


class TaskProbe(Probe):
    """``fetch(item)``: a Probe that also remembers (weakly) the task that ran each call,
    so a check can tell which calls were still running when the learner's function
    ended, whether their cancellation was asked for, and whether a failed task's
    exception was ever read. Weak references: the harness still sees a lost exception
    when the task is garbage-collected."""

    def __init__(self, name: str = "fetch", **options: Any) -> None:
        super().__init__(name, **options)
        self.task_of: dict[int, weakref.ref] = {}
        # the task running the learner's function
        self.caller: weakref.ref | None = None
        # the calls running when it ended: (item, whether their cancel was asked for)
        self.at_end: list[tuple[Any, bool]] | None = None
        # more to note when the learner's function ends (the Line: how often it was closed)
        self.on_end: list[Any] = []

    async def _run(self, item: Any, call: int) -> Any:
        await outside_the_run()
        task = asyncio.current_task()
        if task is not None:
            self.task_of[call] = weakref.ref(task)
        return await super()._run(item, call)

    def _caller(self) -> asyncio.Task | None:
        return self.caller() if self.caller is not None else None

    def tasks(self) -> list[asyncio.Task]:
        """The live tasks (other than the caller's) that ran a call."""
        found = [ref() for ref in self.task_of.values()]
        caller = self._caller()
        return [t for t in dict.fromkeys(found) if t is not None and t is not caller]

    def running(self) -> list[tuple[Any, bool]]:
        """(item, cancel requested) for each call started and not yet ended."""
        ended = {e.call for e in self.events if e.kind != "start"}
        out = []
        for event in self.events:
            if event.kind != "start" or event.call in ended:
                continue
            ref = self.task_of.get(event.call)
            task = ref() if ref is not None else None
            asked = (
                task is not None
                and task is not self._caller()
                and task.cancelling() > 0
            )
            out.append((event.item, asked))
        return out

    def note_end(self, _task: Any = None) -> None:
        self.at_end = self.running()
        for note in self.on_end:
            note()

    def cancelled_by_learner(self) -> list[Any]:
        """Items whose call was cancelled before the learner's function ended (the harness
        cancels what is left running after that)."""
        left = {item for item, asked in self.at_end or [] if not asked}
        return [item for item in self.at("cancel") if item not in left]

    def spans(self) -> list[Span]:
        """As Probe draws them, except that a call the learner left running when it ended is
        drawn still running (the harness cancels it afterwards, when the run is over)."""
        left = {repr(item) for item, asked in self.at_end or [] if not asked}
        return [
            Span(s.label, s.start, None, "running")
            if s.label in left and s.outcome == "cancel"
            else s
            for s in super().spans()
        ]

    def lost(self) -> list[asyncio.Task]:
        return [task for task in self.tasks() if unretrieved(task)]

    def settle(self) -> None:
        """Read every failed task's exception: no late "never retrieved" report mixes in."""
        for task in self.tasks():
            if task.done() and not task.cancelled():
                task.exception()

    def at(self, kind: str) -> dict[Any, float]:
        return {e.item: e.at for e in self.events if e.kind == kind}


class Connection:
    """What ``await connect()`` gives: ``await connection.send(item)``,
    ``await connection.close()``."""

    def __init__(self, line: Line) -> None:
        self._line = line

    def send(self, item: Any):
        return self._line.send(item)

    def close(self):
        return self._line.close()

    def __repr__(self) -> str:
        return "<connection>"


class Line:
    """``connect()``: an async fake that opens a connection. Its sends (a Probe named
    send) take ``delay`` s of loop time each and may raise ``errors[item]``; close()
    takes one turn of the loop. It records when it was opened and closed."""

    name = "connect"

    def __init__(
        self, delay: float = 1.0, errors: dict[Any, BaseException] | None = None
    ) -> None:
        self.send = TaskProbe("send", delay=delay, errors=errors)
        self.opened: list[float] = []
        self.closed: list[float] = []  # loop times a close() finished
        self.close_calls = 0
        # closes finished when the learner's function ended (None: it never ended)
        self.closed_at_end: int | None = None
        self.send.on_end.append(self._note_end)
        self._made: list[tuple[str, Any]] = []

    def _note_end(self) -> None:
        self.closed_at_end = len(self.closed)

    def __call__(self):
        coroutine = self._connect()
        coroutine.__qualname__ = "connect()"
        self._made.append(("connect", coroutine))
        return coroutine

    async def _connect(self) -> Connection:
        await outside_the_run()
        self.opened.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0)
        return Connection(self)

    def close(self):
        self.close_calls += 1
        coroutine = self._close()
        coroutine.__qualname__ = "connection.close()"
        self._made.append(("close", coroutine))
        return coroutine

    async def _close(self) -> None:
        await outside_the_run()
        await asyncio.sleep(0)
        self.closed.append(asyncio.get_running_loop().time())

    def unawaited(self, what: str) -> int:
        count = 0
        for kind, coroutine in self._made:
            if (
                kind == what
                and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED
            ):
                coroutine.close()
                count += 1
        return count


# --- running the learner's functions -------------------------------------------------


def run_call(
    learner, name: str, given: Any, items: list[Any], probe: TaskProbe | None = None
):
    """``name(given, items)``, noting which calls of ``probe`` (default: ``given``) were still
    running when it ended."""
    probe = given if probe is None else probe

    async def scenario(function):
        probe.caller = weakref.ref(asyncio.current_task())
        try:
            return await function(given, items)
        finally:
            probe.note_end()

    text = describe_call(name, (given, items))
    return learner.run_scenario(name, scenario, text=text, probes=(probe,))


class Ending:
    """How a task the check cancelled ended."""

    def __init__(self) -> None:
        self.state = "running"  # "cancelled", "returned", "raised", "running"
        self.value: Any = None
        self.error: BaseException | None = None
        self.at: float | None = None
        self.early = False  # it ended before the check cancelled it


GRACE = 5.0  # s of loop time a cancelled task gets to stop


def run_cancelled(
    learner, name: str, probe: TaskProbe, args: tuple, cancel_at: float, ending: Ending
):
    """``name(*args)`` as a task, cancelled at ``cancel_at``; ``ending`` says how it ended."""

    async def scenario(function):
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(function(*args))
        probe.caller = weakref.ref(task)
        task.add_done_callback(probe.note_end)
        task.add_done_callback(lambda _task: setattr(ending, "at", loop.time()))
        await asyncio.sleep(cancel_at)
        if task.done():  # it ended before the cancel: a stub, a bug, or it never waited
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # reported by the harness, with its line
            ending.state, ending.value = "returned", task.result()
            ending.early = True
            return
        task.cancel("cancelled by the check")
        await asyncio.wait({task}, timeout=GRACE)
        if task.done():
            if task.cancelled():
                ending.state = "cancelled"
            elif task.exception() is not None:
                ending.state, ending.error = "raised", task.exception()
            else:
                ending.state, ending.value = "returned", task.result()
        await asyncio.sleep(GRACE)  # what a task that was not stopped goes on doing

    text = f"{describe_call(name, args)} as a task, cancelled at {secs(cancel_at)}"
    return learner.run_scenario(name, scenario, text=text, probes=(probe,))


def judge_lost(call, fetch: TaskProbe) -> None:
    """No task that ran a call failed without anyone reading its exception."""
    lost = fetch.lost()
    if lost:
        task = lost[0]
        raise CheckFailed(
            f"Called {call.text}. A task it started failed with {error_text(task.exception())} "
            "and nothing ever read that exception: it was lost (asyncio reports "
            '"Task exception was never retrieved").',
            LOST,
        )


def judge_pair(call, got: Any, what: str) -> tuple[Any, Any]:
    """The returned value is a pair; say so if not."""
    if type(got) not in (tuple, list) or len(got) != 2:
        hint = " Did you forget the `return`?" if got is None else ""
        raise CheckFailed(
            f"Called {call.text}. It returned {show(got)}; expected a pair {what}.{hint}"
        )
    return got[0], got[1]


# --- fetch_settled ---------------------------------------------------------------------

# Not in sorted order, and later items finish first.
ITEMS = ["kiwi", "fig", "pear", "apple"]
DELAYS = {"kiwi": 4.0, "fig": 1.0, "pear": 3.0, "apple": 2.0}


@pytest.mark.points(2)
def test_fetch_settled_keeps_the_other_results(learner):
    """fetch_settled returns the results of the fetches that worked and the exceptions of those that failed"""
    errors = {
        "fig": LookupError("no fig today"),
        "pear": TimeoutError("pear.example timed out"),
    }
    fetch = TaskProbe(delay=DELAYS.__getitem__, result=str.upper, errors=errors)
    call = run_call(learner, "fetch_settled", fetch, ITEMS)
    try:
        judge_settled(call, fetch, errors, {"kiwi": "KIWI", "apple": "APPLE"})
    finally:
        fetch.settle()
    # again with 8 items: results paired with items read from a set (asyncio.wait's done set)
    # match by chance once in 40,320 runs; with the 4 above, once in 24
    delays = {**DELAYS, "plum": 3.5, "lime": 0.5, "date": 2.5, "mango": 1.5}
    more = TaskProbe(delay=delays.__getitem__, result=str.upper, errors=errors)
    again = run_call(learner, "fetch_settled", more, list(delays))
    try:
        got = again.result()
        wanted = ({item: item.upper() for item in delays if item not in errors}, errors)
        if not expect.same(tuple(got) if type(got) is list else got, wanted):
            raise CheckFailed(
                f"Called {again.text}, where fig and pear fail. It returned {show(got)}; expected {show(wanted)}: "
                "outcomes paired with the wrong items.",
                "Keep each outcome with its own item: gather(..., return_exceptions=True) returns them in the "
                "order of the awaitables (a set, such as asyncio.wait's done set, has no order).",
            )
    finally:
        more.settle()


def judge_settled(call, fetch: TaskProbe, errors: dict, results: dict) -> None:
    raised = call.run.error
    failing = list(errors.values())
    if raised is not None:
        if not holds(raised, failing):
            call.result()  # a bug of its own (a stub, a TypeError): reported with its line
        cancelled = sorted(fetch.cancelled_by_learner(), key=ITEMS.index)
        how = (
            f" (a TaskGroup cancelled {names(cancelled)} when fig failed)"
            if cancelled
            else ""
        )
        raise CheckFailed(
            f"Called {call.text}, where fig fails after 1 s and pear after 3 s. It raised "
            f"{error_text(raised)}: one failure aborted everything{how}, and the results of "
            f"{names(list(results))} were lost. fetch_settled must return them, with each "
            "failure's exception beside them.",
            SETTLED_ADVICE,
            call.schedule() if cancelled else None,
        )
    judge_lost(call, fetch)
    got = call.run.value
    if not fetch.calls:
        raise CheckFailed(
            f"Called {call.text}. It never called fetch: each result must come from fetch(item).",
            SETTLED_ADVICE,
        )
    wanted = (results, errors)
    if expect.same(tuple(got) if type(got) is list else got, wanted):
        return
    cancelled = sorted(fetch.cancelled_by_learner(), key=ITEMS.index)
    if cancelled:
        raise CheckFailed(
            f"Called {call.text}, where fig fails after 1 s and pear after 3 s. When fig failed, "
            f"the fetches of {names(cancelled)} were cancelled (a TaskGroup does that: it is all "
            f"or nothing), so their results were lost. It returned {show(got)}; expected "
            f"({show(results)}, {show(errors)}).",
            SETTLED_ADVICE
            + " (In a TaskGroup, each task would have to catch its own fetch's "
            "exception.)",
            call.schedule(),
        )
    expect.no_leftovers(call, fetch)
    expect.each_item_once(call, fetch, ITEMS)
    good, bad = judge_pair(call, got, "(results, errors) of two dicts")
    if type(good) is not dict or type(bad) is not dict:
        raise CheckFailed(
            f"Called {call.text}. It returned ({show(good)}, {show(bad)}); expected two dicts: "
            f"results {show(results)} and errors {show(errors)}."
        )
    among = [item for item, value in good.items() if isinstance(value, BaseException)]
    if among:
        raise CheckFailed(
            f"Called {call.text}. results holds exceptions, for {names(among)}: a failed fetch's "
            "exception goes in errors, not in results.",
            "gather(..., return_exceptions=True) gives each outcome, result or exception, in its "
            "item's place: sort them with `if isinstance(outcome, Exception):`.",
        )
    for item, error in errors.items():
        if item not in bad:
            raise CheckFailed(
                f"Called {call.text}. errors is {show(bad)}: it has no entry for {item}, whose "
                f"fetch failed with {error_text(error)}. Expected errors = {show(errors)}."
            )
        if bad[item] is not error:
            raise CheckFailed(
                f"Called {call.text}. errors[{item!r}] is {show(bad[item])}, not the exception "
                f"object {item}'s fetch raised ({error_text(error)}).",
                "Keep the exception itself: it carries the traceback and every detail of the failure.",
            )
    raise CheckFailed(
        f"Called {call.text}. It returned ({show(good)}, {show(bad)}); expected "
        f"({show(results)}, {show(errors)})."
    )


@pytest.mark.points(1)
def test_fetch_settled_runs_fetches_together(learner):
    """fetch_settled runs its fetches at the same time: 8 fetches of up to 1 s take 1 s"""
    # distinct delays: they finish in one order whatever order they were started in; 8 items:
    # results paired with items read from a set (asyncio.wait's done set) match once in 40,320 runs
    delays = {"h": 1.0, "g": 0.3, "f": 0.8, "e": 0.5, "d": 0.9, "c": 0.4, "b": 0.7, "a": 0.6}
    items = list(delays)
    fetch = TaskProbe(delay=delays.__getitem__)
    call = run_call(learner, "fetch_settled", fetch, items)
    expect.ran_together(call, fetch, concept=SETTLED, items=items)
    results = {item: fetch.expected(item) for item in items}
    got = call.result()
    if not expect.same(tuple(got) if type(got) is list else got, (results, {})):
        raise CheckFailed(
            f"Called {call.text}, where every fetch works. It returned {show(got)}; expected "
            f"({show(results)}, {{}})."
        )


@pytest.mark.points(1)
def test_fetch_settled_stops_when_cancelled(learner):
    """a cancelled fetch_settled ends cancelled and cancels its fetches"""
    items = ["c", "b", "a"]
    fetch = TaskProbe(delay=2.0)
    ending = Ending()
    call = run_cancelled(learner, "fetch_settled", fetch, (fetch, items), 0.5, ending)
    try:
        call.result()
        judge_stops(call, fetch, ending, 0.5)
    finally:
        fetch.settle()


def judge_stops(call, fetch: TaskProbe, ending: Ending, cancel_at: float) -> None:
    if not fetch.calls:
        raise CheckFailed(f"Called {call.text}. It never called fetch.", SETTLED_ADVICE)
    later = [
        e.item for e in fetch.events if e.kind == "start" and e.at > cancel_at - EXACT
    ]
    if ending.early:
        raise CheckFailed(
            f"Called {call.text}. It returned {show(ending.value)} at {secs(ending.at)}, before it "
            "was cancelled: it did not wait for its fetches.",
            SETTLED_ADVICE,
            call.schedule(),
        )
    if ending.state in ("returned", "running") or later:
        did = {
            "returned": f"returned {show(ending.value)} as if it had finished: the "
            "cancellation never came out of it",
            "running": f"was still running {secs(GRACE)} later: the cancellation never "
            "came out of it",
        }.get(ending.state, "only then stopped")
        went_on = f" went on to fetch {names(later)}, and" if later else ""
        raise CheckFailed(
            f"Called {call.text}. It caught the CancelledError,{went_on} {did}. Whoever "
            "cancelled it (a timeout, a TaskGroup, a user who gave up) expects it to stop "
            "there, and learns that it stopped from that CancelledError.",
            reraise("except Exception as error:"),
            call.schedule(),
        )
    if ending.state == "raised":
        raise CheckFailed(
            f"Called {call.text}. When it was cancelled it raised {error_text(ending.error)} "
            "instead of letting the CancelledError out.",
            reraise("except Exception as error:"),
        )
    ran_on = [item for item, asked in fetch.at_end or [] if not asked]
    finished = [
        item for item, at in fetch.at("finish").items() if at > cancel_at + EXACT
    ]
    if ran_on or finished:
        left = list(dict.fromkeys(ran_on + finished))
        raise CheckFailed(
            f"Called {call.text}. It ended cancelled, but the fetches of {names(left)} ran on "
            "without it: nothing wants their results any more. Cancelling fetch_settled must "
            "cancel its fetches too.",
            "asyncio.gather and a TaskGroup cancel what they wait for when they are cancelled; "
            "asyncio.wait does not, and tasks you created and forgot run on.",
            call.schedule(),
        )


# --- fetch_all ---------------------------------------------------------------------------


@pytest.mark.points(1)
def test_fetch_all_returns_every_result(learner):
    """fetch_all returns (results in the order of items, []) when every fetch works, in the time of the slowest"""
    items = ["kiwi", "fig", "pear"]
    fetch = TaskProbe(
        delay={"kiwi": 3.0, "fig": 1.0, "pear": 2.0}.__getitem__, result=str.upper
    )
    call = run_call(learner, "fetch_all", fetch, items)
    expect.ran_together(call, fetch, concept="an asyncio.TaskGroup", items=items)
    got = call.result()
    wanted = (["KIWI", "FIG", "PEAR"], [])
    if expect.same(tuple(got) if type(got) is list else got, wanted):
        return
    results, _ = judge_pair(call, got, "(results, missing)")
    if type(results) is list and sorted(map(repr, results)) == sorted(
        map(repr, wanted[0])
    ):
        raise CheckFailed(
            f"Called {call.text}. It returned the results in the order {show(results)}; expected "
            f"the order of items: {show(wanted[0])}.",
            "Keep the tasks in a list in the order of items and read `[task.result() for task in "
            "tasks]` after the TaskGroup block.",
        )
    raise CheckFailed(
        f"Called {call.text}, where every fetch works. It returned {show(got)}; expected "
        f"{show(wanted)}."
    )


ALL_OR_NOTHING = {"kiwi": 4.0, "fig": 1.0, "pear": 3.0, "apple": 2.0}


@pytest.mark.points(2)
def test_fetch_all_cancels_the_rest_when_one_fails(learner):
    """when a fetch fails, fetch_all cancels the others at once and ends then"""
    error = LookupError("no such item: fig")
    fetch = TaskProbe(
        delay=ALL_OR_NOTHING.__getitem__, result=str.upper, errors={"fig": error}
    )
    call = run_call(learner, "fetch_all", fetch, ITEMS)
    try:
        judge_cancels_the_rest(call, fetch, error)
    finally:
        fetch.settle()


def judge_cancels_the_rest(call, fetch: TaskProbe, error: BaseException) -> None:
    if call.run.error is not None and not holds(call.run.error, [error]):
        call.result()
    if not fetch.calls:
        raise CheckFailed(f"Called {call.text}. It never called fetch.", EXCEPT_STAR)
    expect.each_item_once(call, fetch, ITEMS)
    failed = fetch.at("fail").get("fig")
    if failed is None or failed > 1.0 + EXACT or len(fetch.started) < len(ITEMS):
        raise CheckFailed(
            f"Called {call.text}. fig fails 1 s after it starts, but it failed at "
            f"{secs(failed or call.loop_time)}: the fetches did not all start at once.",
            "Start every fetch before waiting for any: `group.create_task(fetch(item))` for each "
            "item inside `async with asyncio.TaskGroup() as group:`.",
            call.schedule(),
        )
    others = [item for item in ITEMS if item != "fig"]
    finished = [item for item, at in fetch.at("finish").items() if at > failed + EXACT]
    ran_on = [item for item, asked in fetch.at_end or [] if not asked]
    if finished:
        raise CheckFailed(
            f"Called {call.text}. fig failed at 1 s, but {names(finished)} still ran to the end "
            f"(until {secs(max(fetch.at('finish').values()))}): fetch_all is all or nothing, so "
            "once one fetch has failed the others are wasted work. Cancel them as soon as one fails.",
            "An asyncio.TaskGroup does it for you: when one task fails it cancels the others, "
            "waits for them, then raises the failures in an ExceptionGroup.",
            call.schedule(),
        )
    if ran_on:
        raise CheckFailed(
            f"Called {call.text}. fig failed at 1 s; it ended at {secs(call.loop_time)} and left "
            f"the fetches of {names(ran_on)} running, never cancelled.",
            "An asyncio.TaskGroup cancels the other tasks when one fails (plain asyncio.gather "
            "does not): `async with asyncio.TaskGroup() as group:`.",
            call.schedule(),
        )
    if call.loop_time > failed + EXACT:
        raise CheckFailed(
            f"Called {call.text}. fig failed at 1 s and the others ({names(others)}) were "
            f"cancelled, but it ended only at {secs(call.loop_time)}: it waited for something else.",
            "End as soon as the cancelled tasks have stopped: the TaskGroup block does exactly that.",
            call.schedule(),
        )


@pytest.mark.points(2)
def test_fetch_all_handles_missing_items(learner):
    """fetch_all returns (None, [every LookupError]) when items are missing, raising nothing"""
    errors = {
        "fig": LookupError("no such item: fig"),
        "apple": LookupError("no such item: apple"),
    }
    # fig and apple fail together
    delays = {"kiwi": 4.0, "fig": 1.0, "pear": 3.0, "apple": 1.0}
    fetch = TaskProbe(delay=delays.__getitem__, result=str.upper, errors=errors)
    call = run_call(learner, "fetch_all", fetch, ITEMS)
    try:
        judge_missing(call, fetch, errors)
    finally:
        fetch.settle()


def judge_missing(call, fetch: TaskProbe, errors: dict) -> None:
    failing = list(errors.values())
    raised = call.run.error
    where = (
        f"Called {call.text}, where fig and apple both fail with LookupError after 1 s."
    )
    if raised is not None:
        if not holds(raised, failing):
            call.result()
        if isinstance(raised, BaseExceptionGroup):
            raise CheckFailed(
                f"{where} It raised {error_text(raised)}, holding the LookupErrors: a missing item is "
                f"fetch_all's to handle, by returning (None, [the LookupErrors]). {GROUP_NOT_MATCHED}",
                EXCEPT_STAR,
            )
        raise CheckFailed(
            f"{where} It let {error_text(raised)} out: a missing item is fetch_all's to handle, by "
            "returning (None, [the LookupErrors]).",
            EXCEPT_STAR,
        )
    judge_lost(call, fetch)
    got = call.run.value
    results, missing = judge_pair(call, got, "(None, [the LookupErrors])")
    if results is not None:
        raise CheckFailed(
            f"{where} It returned results {show(results)}; expected None: fetch_all is all or "
            "nothing, and here some items are missing.",
            "Return `None, missing` when any item is missing.",
        )
    if type(missing) not in (list, tuple):
        raise CheckFailed(
            f"{where} It returned (None, {show(missing)}); expected a list of the LookupErrors."
        )
    kept = [e for e in failing if any(m is e for m in missing)]
    groups = [m for m in missing if isinstance(m, BaseExceptionGroup)]
    if groups:
        raise CheckFailed(
            f"{where} missing holds {error_text(groups[0])}, the ExceptionGroup itself; "
            "expected the LookupErrors it holds.",
            "In `except* LookupError as missing_group:`, the LookupErrors are "
            "`missing_group.exceptions`: `missing = list(missing_group.exceptions)`.",
        )
    if len(missing) == len(failing) and len(kept) == len(failing):
        return
    copies = [
        m
        for m in missing
        if isinstance(m, LookupError) and not any(m is e for e in failing)
    ]
    if copies:
        raise CheckFailed(
            f"{where} missing holds {show(copies[0])}, a new exception, not the one the fetch raised.",
            "Keep the exception objects themselves: `missing_group.exceptions`.",
        )
    if len(kept) == 1 and len(missing) == 1:
        lost = [item for item, e in errors.items() if e is not kept[0]]
        raise CheckFailed(
            f"{where} missing holds only {error_text(kept[0])}; {lost[0]}'s LookupError is not in it. "
            "Several tasks can fail together, and each failure counts.",
            "A TaskGroup collects every failure: `except* LookupError as missing_group:` gives them "
            "all in `missing_group.exceptions`.",
        )
    raise CheckFailed(
        f"{where} It returned (None, {show(list(missing))}); expected (None, "
        f"{show(failing)}) (in any order)."
    )


@pytest.mark.points(1)
def test_fetch_all_lets_other_errors_out(learner):
    """fetch_all handles only LookupError: any other exception comes out of it"""
    errors = {
        "fig": LookupError("no such item: fig"),
        "pear": RuntimeError("bug in the pear parser"),
    }
    delays = {"kiwi": 4.0, "fig": 1.0, "pear": 1.0, "apple": 3.0}
    fetch = TaskProbe(delay=delays.__getitem__, result=str.upper, errors=errors)
    call = run_call(learner, "fetch_all", fetch, ITEMS)
    try:
        judge_bug_out(call, fetch, errors)
    finally:
        fetch.settle()


def judge_bug_out(call, fetch: TaskProbe, errors: dict) -> None:
    bug = errors["pear"]
    lookup = errors.get("fig")
    where = f"Called {call.text}, where pear fails with {error_text(bug)} after 1 s" + (
        " and fig with LookupError at the same moment." if lookup else "."
    )
    raised = call.run.error
    if raised is None:
        got = call.run.value
        inside = (
            type(got) in (tuple, list)
            and len(got) == 2
            and type(got[1]) in (list, tuple)
        )
        put = (
            " and put it among the missing items"
            if inside and any(m is bug for m in got[1])
            else ""
        )
        raise CheckFailed(
            f"{where} It returned {show(got)}: it swallowed the RuntimeError{put}. Only a "
            "LookupError (a missing item) is fetch_all's to handle; any other exception is a bug "
            "the caller must see.",
            "Handle LookupError alone: `except* LookupError` runs for the LookupErrors and lets "
            "every other exception go on out (`except* Exception` and `except ExceptionGroup` "
            "catch them all).",
        )
    if holds(raised, [bug]):
        return
    if lookup is not None and holds(raised, [lookup]):
        raise CheckFailed(
            f"{where} It raised {error_text(raised)}, but the RuntimeError is not in it: it was lost.",
            EXCEPT_STAR,
        )
    judge_replaced(
        call,
        where,
        raised,
        bug,
        "Let it go on by itself: `except* LookupError` handles only the LookupErrors, and "
        "every other exception leaves in the ExceptionGroup without any code of yours.",
    )
    call.result()


# --- upload ----------------------------------------------------------------------------

UPLOAD = ["b", "c", "a"]


def run_upload(learner, line: Line, items: list[Any]):
    return run_call(learner, "upload", line, items, line.send)


def judge_connected(call, line: Line) -> None:
    """connect() was awaited once and every send was awaited."""
    if not line.opened:
        if line.unawaited("connect"):
            raise CheckFailed(
                f"Called {call.text}. It called connect() but never awaited it: "
                "`connection = await connect()`."
            )
        raise CheckFailed(
            f"Called {call.text}. It never called connect(): open the connection with "
            "`connection = await connect()`, once."
        )
    if len(line.opened) > 1:
        raise CheckFailed(
            f"Called {call.text}. It opened {len(line.opened)} connections; one carries every item."
        )
    if line.send.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called connection.send(...) but never awaited it, so nothing "
            "was sent.",
            "Await each send: `await connection.send(item)`.",
        )


def judge_closed(call, line: Line, when: float, why: str) -> None:
    """The connection was closed (a close() awaited to its end) at ``when``."""
    if not line.closed:
        if line.unawaited("close"):
            raise CheckFailed(
                f"Called {call.text}. It called connection.close() but never awaited it, so the "
                f"connection was never closed{why}.",
                "Await it: `await connection.close()`.",
            )
        raise CheckFailed(
            f"Called {call.text}. It never closed the connection{why}: the code that closes it "
            "did not run.",
            CLOSE_IN_FINALLY,
            call.schedule(),
        )
    if line.close_calls > 1:
        raise CheckFailed(
            f"Called {call.text}. It closed the connection {line.close_calls} times{why}; a "
            "connection is closed once.",
            "Close in one place only: a `finally:` runs on every way out (a return, an "
            "exception, a cancellation), so an `except` that also closes closes it twice.",
        )
    if abs(line.closed[0] - when) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It closed the connection at {secs(line.closed[0])}; expected at "
            f"{secs(when)}{why}.",
            CLOSE_IN_FINALLY,
            call.schedule(),
        )
    if line.closed_at_end == 0:
        raise CheckFailed(
            f"Called {call.text}. It ended{why} with the connection not closed yet: "
            "connection.close() finished only afterwards, so it was started (in a task?) but "
            "not awaited there. Whoever called upload may reconnect, or exit, while the "
            "connection is still open.",
            "Await the close where you start it: `finally: await connection.close()`.",
        )


@pytest.mark.points(1)
def test_upload_sends_in_order_and_closes(learner):
    """upload sends each item in order, one at a time, over one connection, then closes it"""
    line = Line(delay=1.0)
    call = run_upload(learner, line, UPLOAD)
    got = call.result()
    judge_connected(call, line)
    sent = line.send.started
    if line.send.peak > 1:
        raise CheckFailed(
            f"Called {call.text}. It sent up to {line.send.peak} items at once over the one "
            "connection; a connection carries one send at a time: send them one after another, "
            "in order.",
            "`for item in items:` with `await connection.send(item)` inside.",
            call.schedule(),
        )
    if not expect.same(sent, UPLOAD):
        raise CheckFailed(
            f"Called {call.text}. It sent {show(sent)}; expected each item once, in order: "
            f"{show(UPLOAD)}."
        )
    judge_closed(call, line, 3.0, " after the last send")
    if not expect.same(got, {}):
        raise CheckFailed(
            f"Called {call.text}, where no item is rejected. It returned {show(got)}; expected {{}}.",
            "Return the dict of rejected items, {item: exception}: here none.",
        )


@pytest.mark.points(1)
def test_upload_skips_rejected_items(learner):
    """upload notes an item rejected with ValueError and goes on with the next ones"""
    error = ValueError("c: bad checksum")
    line = Line(delay=1.0, errors={"c": error})
    call = run_upload(learner, line, UPLOAD)
    where = f"Called {call.text}, where the send of c is rejected with {error_text(error)} at 2 s."
    if holds(call.run.error, [error]):
        raise CheckFailed(
            f"{where} It let that ValueError out: a rejected item must not stop the upload.",
            "Catch it around each send: `try: await connection.send(item)` / "
            "`except ValueError as error: rejected[item] = error`, and go on with the next item.",
        )
    got = call.result()
    judge_connected(call, line)
    if not any(expect.same(item, "a") for item in line.send.started):
        raise CheckFailed(
            f"{where} It stopped there and never sent a: a rejected item costs only itself.",
            "Note the rejection and go on with the loop.",
        )
    judge_closed(call, line, 3.0, " after the last send")
    if expect.same(got, {"c": error}):
        return
    if type(got) is dict and "c" in got and isinstance(got["c"], ValueError):
        raise CheckFailed(
            f"{where} It returned {show(got)}: a new ValueError, not the exception object the send raised.",
            "Keep the exception itself: `except ValueError as error: rejected[item] = error`.",
        )
    raise CheckFailed(f"{where} It returned {show(got)}; expected {{'c': {error!r}}}.")


@pytest.mark.points(2)
def test_upload_stops_on_a_broken_connection(learner):
    """upload lets any other exception out at once, after closing the connection"""
    error = ConnectionResetError("connection reset by peer")
    line = Line(delay=1.0, errors={"c": error})
    call = run_upload(learner, line, UPLOAD)
    try:
        judge_broken(call, line, error)
    finally:
        line.send.settle()


def judge_broken(call, line: Line, error: BaseException) -> None:
    where = f"Called {call.text}, where the connection breaks while c is sent: {error_text(error)} at 2 s."
    raised = call.run.error
    if raised is None:
        judge_connected(call, line)
        went_on = "a" in line.send.started
        raise CheckFailed(
            f"{where} It caught that error as if c had been rejected"
            + (", went on to send a," if went_on else "")
            + f" and returned {show(call.run.value)}: it swallowed it. Only ValueError rejects "
            "an item; any other exception means the upload cannot go on, and the caller must see it.",
            "Catch only ValueError (`except ValueError as error:`): `except Exception`, "
            "`except BaseException` and a bare `except:` also catch a broken connection.",
        )
    if not holds(raised, [error]):
        judge_replaced(
            call,
            where,
            raised,
            error,
            "Catch only ValueError around each send; a `finally:` closes the connection and "
            "lets any other exception go on out by itself.",
        )
        call.result()
    judge_connected(call, line)
    judge_closed(call, line, 2.0, " when the connection broke at 2 s")


CANCEL_AT = 1.5  # while c is being sent


_cancelled_uploads: dict[Any, tuple | CheckFailed] = {}


def upload_cancelled(learner) -> tuple[Any, Line, Ending]:
    """The cancelled upload both cancellation checks judge, run once per submission."""
    key = learner.path
    if key not in _cancelled_uploads:
        line, ending = Line(delay=1.0), Ending()
        try:
            call = run_upload_cancelled(learner, line, ending)
            _cancelled_uploads[key] = (call, line, ending)
        except CheckFailed as failure:
            _cancelled_uploads[key] = failure
    found = _cancelled_uploads[key]
    if isinstance(found, CheckFailed):
        raise CheckFailed(found.message, found.advice, found.detail)
    return found


def run_upload_cancelled(learner, line: Line, ending: Ending):
    call = run_cancelled(
        learner, "upload", line.send, (line, UPLOAD), CANCEL_AT, ending
    )
    call.result()
    judge_connected(call, line)
    if ending.at is not None and ending.at < CANCEL_AT - EXACT:
        raise CheckFailed(
            f"Called {call.text}. It had already returned {show(ending.value)} at "
            f"{secs(ending.at)}, before the cancel: 3 sends of 1 s, one after another, take 3 s. "
            "So its cancellation could not be checked.",
            "Send the items one after another: `for item in items: await connection.send(item)`.",
            call.schedule(),
        )
    return call


@pytest.mark.points(2)
def test_upload_closes_the_connection_when_cancelled(learner):
    """a cancelled upload stops sending and still closes the connection"""
    call, line, _ = upload_cancelled(learner)
    later = [
        e.item
        for e in line.send.events
        if e.kind == "start" and e.at > CANCEL_AT - EXACT
    ]
    if later:
        raise CheckFailed(
            f"Called {call.text}. It was cancelled while sending c, and then went on to send "
            f"{names(later)}: the CancelledError was caught (`except:` and `except BaseException:` "
            "catch it, as if c had been rejected) and the loop went on.",
            RERAISE,
            call.schedule(),
        )
    judge_closed(call, line, CANCEL_AT, f" when it was cancelled at {secs(CANCEL_AT)}")


@pytest.mark.points(2)
def test_upload_lets_the_cancellation_out(learner):
    """a cancelled upload ends cancelled: the CancelledError comes out of it"""
    call, _, ending = upload_cancelled(learner)
    if ending.state == "cancelled":
        return
    if ending.state == "returned":
        raise CheckFailed(
            f"Called {call.text}. It returned {show(ending.value)} at {secs(ending.at)} as if the "
            "upload had finished: the CancelledError never came out of it. Whoever cancelled it "
            "(a timeout, a TaskGroup, a user who gave up) learns that it stopped from that "
            "CancelledError, and goes on believing every item was sent.",
            RERAISE,
        )
    if ending.state == "raised":
        raise CheckFailed(
            f"Called {call.text}. When it was cancelled it raised {error_text(ending.error)} "
            "instead of letting the CancelledError out.",
            RERAISE,
        )
    raise CheckFailed(
        f"Called {call.text}. It was still running {secs(GRACE)} after it was cancelled: it caught "
        "the CancelledError and went on waiting.",
        RERAISE,
    )
