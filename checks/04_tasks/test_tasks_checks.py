"""Hidden checks of exercise 04: fetch_named, heartbeat, with_heartbeat, notify.

Every verdict comes from loop time and from what the fakes handed to the learner recorded:
which task ran each fetch (and its name), when each message was sent, whether a task was
cancelled, ended cancelled, had its exception retrieved, or was garbage-collected.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import weakref
from typing import Any

import pytest

from grader import expect
from grader.failure import CheckFailed
from grader.learner import describe_call, error_text, holds, short
from grader.probes import Probe

EXACT = expect.EXACT

CREATE_THEN_AWAIT = (
    'Create every task first, `tasks = [asyncio.create_task(fetch(item), name=f"fetch {item}") for item in items]`, '
    "and await them only after that (a second loop, or `await asyncio.gather(*tasks)`)."
)
NAME_THEM = 'Name each task when you create it: `asyncio.create_task(fetch(item), name=f"fetch {item}")`.'
RERAISE = (
    "CancelledError is how cancel() reaches a task: it is raised at the await where the task is paused. "
    'Catch it only to clean up (send "stopped"), then `raise` it again, or put the cleanup in `finally:`.'
)
CANCEL_AND_WAIT = (
    "Stop the heartbeat in a `finally:` after the job: `beating.cancel()`, then wait until it has stopped "
    "(`await asyncio.wait({beating})`, or `try: await beating` / `except asyncio.CancelledError: pass`)."
)
KEEP_REFERENCE = (
    "Keep a strong reference while the task runs and drop it when it is done: a module-level "
    "`background = set()`, then `background.add(task)` and `task.add_done_callback(background.discard)`."
)
WEAK_LOOP = (
    "The event loop keeps only a weak reference to a task: a task that nothing else references "
    "can be garbage-collected before it finishes."
)


def secs(value: float) -> str:
    """Loop time as the learner reads it: exact to 10 ms, no trailing zeros (1 s, 3.5 s)."""
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def times(values: list[float], limit: int = 6) -> str:
    """Loop times as a short list: "0, 1, 2 s"; a long one keeps its first and last."""
    if not values:
        return "never"
    shown = [f"{value:.2f}".rstrip("0").rstrip(".") for value in values]
    if len(shown) > limit:
        shown = shown[: limit - 2] + ["…", shown[-1]]
    return ", ".join(shown) + " s"



def unretrieved(task: asyncio.Task) -> bool:
    """The task failed and nothing has read its exception yet ("exception was never retrieved")."""
    return (
        task.done()
        and not task.cancelled()
        and bool(getattr(task, "_log_traceback", False))
    )


def mark_retrieved(tasks) -> None:
    """Read the exception of every failed task, so no late "never retrieved" report mixes in."""
    for task in tasks:
        if task is not None and task.done() and not task.cancelled():
            task.exception()


# --- fetch_named ------------------------------------------------------------------------


class TaskFetch(Probe):
    """``fetch(item)``: a Probe that also records which task ran each call (and its name)
    and, at the moment the learner returned, which of those tasks were still running."""

    def __init__(self, **options: Any) -> None:
        super().__init__("fetch", **options)
        self.task_of: dict[
            int, asyncio.Task | None
        ] = {}  # call index -> the task that ran it
        self.name_of: dict[int, str] = {}
        self.caller: asyncio.Task | None = None  # the task running fetch_named itself
        self.running_at_return: list[
            tuple[int, bool]
        ] = []  # (call, cancel() requested)

    async def _run(self, item: Any, call: int) -> Any:
        task = asyncio.current_task()
        self.task_of[call] = task
        self.name_of[call] = task.get_name() if task is not None else "?"
        return await super()._run(item, call)

    def tasks(self) -> list[asyncio.Task]:
        return [
            t
            for t in dict.fromkeys(self.task_of.values())
            if t is not None and t is not self.caller
        ]

    def note_return(self) -> None:
        self.running_at_return = [
            (call, task.cancelling() > 0)
            for call, task in self.task_of.items()
            if task is not None and task is not self.caller and not task.done()
        ]

    def own_tasks(self) -> bool:
        """Every call ran in a task of its own (not directly in fetch_named's coroutine)."""
        return bool(self.task_of) and all(
            t is not None and t is not self.caller for t in self.task_of.values()
        )


def run_fetch_named(learner, fetch: TaskFetch, items: list[str]):
    async def scenario(fetch_named):
        fetch.caller = asyncio.current_task()
        try:
            return await fetch_named(fetch, items)
        finally:
            fetch.note_return()

    return learner.run_scenario(
        "fetch_named",
        scenario,
        text=describe_call("fetch_named", (fetch, items)),
        probes=(fetch,),
    )


def name(item: str) -> str:
    return f"fetch {item}"


def judge_named_results(call, fetch: TaskFetch, items: list[str]) -> None:
    """fetch_named returned {task name: result} for exactly these items."""
    got = call.result()
    if not fetch.calls:
        raise CheckFailed(
            f"Called {call.text}. It never called fetch: each result must come from fetch(item), run in a task.",
            CREATE_THEN_AWAIT,
        )
    expect.no_leftovers(call, fetch)
    expect.each_item_once(call, fetch, items)
    wanted = {name(item): fetch.expected(item) for item in items}
    if expect.same(got, wanted):
        return
    if isinstance(got, dict) and expect.same(
        {name(k): v for k, v in got.items() if isinstance(k, str)}, wanted
    ):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}, keyed by item; expected the task names as keys: "
            f"{short(wanted)}.",
            "Key each result by its task's name: `{task.get_name(): task.result() for task in tasks}`.",
        )
    if type(got) is not dict:
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)} ({type(got).__name__}); expected a dict from task "
            f"name to result: {short(wanted)}.",
            "Return `{task.get_name(): task.result() for task in tasks}` once every task is done.",
        )
    raise CheckFailed(
        f"Called {call.text}. It returned {short(got)}; expected {short(wanted)}."
    )


@pytest.mark.points(2)
def test_fetch_named_runs_tasks_together(learner):
    """fetch_named starts every task before awaiting any: 3 fetches of 1 s take 1 s"""
    items = ["pear", "fig", "kiwi"]
    fetch = TaskFetch(delay=1.0)
    call = run_fetch_named(learner, fetch, items)
    call.result()
    if not fetch.calls:
        raise CheckFailed(
            f"Called {call.text}. It never called fetch.", CREATE_THEN_AWAIT
        )
    expect.no_leftovers(call, fetch)
    expect.each_item_once(call, fetch, items)
    took, n = call.loop_time, len(items)
    if abs(took - 1.0) > EXACT or fetch.peak != n:
        picture = call.schedule(
            fetch.expected_together(), expected_title="Expected: all at once, 1 s"
        )
        if fetch.peak <= 1 and fetch.own_tasks():
            raise CheckFailed(
                f"Called {call.text}. 3 fetches of 1 s took {secs(took)} of loop time: each ran in a task, but "
                "each task was awaited right after it was created, so it finished before the next one even "
                "started. That is sequential again; the tasks only run together if they all exist before you "
                "await the first.",
                CREATE_THEN_AWAIT,
                picture,
            )
        if fetch.peak <= 1:
            raise CheckFailed(
                f"Called {call.text}. 3 fetches of 1 s took {secs(took)} of loop time: they ran one after another, "
                "awaited directly in fetch_named. Together they take 1 s.",
                CREATE_THEN_AWAIT,
                picture,
            )
        raise CheckFailed(
            f"Called {call.text}. 3 fetches of 1 s took {secs(took)} of loop time with at most {fetch.peak} "
            "running at once; all 3 together take 1 s.",
            CREATE_THEN_AWAIT,
            picture,
        )
    judge_named_results(call, fetch, items)


@pytest.mark.points(1)
def test_fetch_named_names_each_task(learner):
    """fetch_named runs each fetch in a task named "fetch <item>" and returns {task name: result}"""
    items = ["kiwi", "fig", "apple", "pear"]
    fetch = TaskFetch(
        delay={"kiwi": 2.0, "fig": 1.0, "apple": 3.0, "pear": 0.5}.__getitem__,
        result=str.upper,
    )
    call = run_fetch_named(learner, fetch, items)
    call.result()
    if not fetch.calls:
        raise CheckFailed(
            f"Called {call.text}. It never called fetch.", CREATE_THEN_AWAIT
        )
    for index, item in enumerate(fetch.calls):
        task = fetch.task_of.get(index)
        if task is None:
            continue  # never awaited: judge_named_results says so
        if task is fetch.caller:
            raise CheckFailed(
                f"Called {call.text}. fetch({item!r}) was awaited directly in fetch_named, not in a task of its own, "
                "so it has no task (and no name) of its own.",
                NAME_THEM,
            )
        if not expect.same(fetch.name_of[index], name(item)):
            raise CheckFailed(
                f"Called {call.text}. fetch({item!r}) ran in a task named {fetch.name_of[index]!r}; expected "
                f"{name(item)!r}. A task you don't name gets a name like 'Task-7' (asyncio.gather names its "
                "own tasks that way too).",
                NAME_THEM,
            )
    judge_named_results(call, fetch, items)


FAILS_AT = 1.0


@pytest.mark.points(1)
def test_fetch_named_raises_and_cancels_the_rest(learner):
    """When a fetch fails, fetch_named raises at once, cancels the other tasks and loses no exception"""
    items = ["kiwi", "fig", "pear", "apple"]  # fig and apple both fail at 1 s
    errors = {
        "fig": LookupError("no fig today"),
        "apple": ConnectionError("apple.example stopped answering"),
    }
    fetch = TaskFetch(
        delay={"kiwi": 4.0, "fig": 1.0, "pear": 3.0, "apple": 1.0}.__getitem__,
        errors=errors,
    )
    call = run_fetch_named(learner, fetch, items)
    try:
        judge_failure(call, fetch, items, errors)
    finally:
        mark_retrieved(fetch.tasks())


def judge_failure(
    call, fetch: TaskFetch, items: list[str], errors: dict[str, BaseException]
) -> None:
    failing = list(errors.values())
    got = call.run.error
    if got is None:
        raise CheckFailed(
            f"Called {call.text}, where fig and apple fail after 1 s. It returned {short(call.run.value)} instead "
            "of raising: the failure was swallowed.",
            "Let the exception out: awaiting a task (or gathering tasks) raises what the task raised.",
        )
    if not holds(got, failing):
        call.result()  # a bug of its own (a stub, a TypeError): reported with its line
        raise CheckFailed(
            f"Called {call.text}, where fig and apple fail. It raised {error_text(got)} at {call.where(got)}; "
            "expected the exception of the failing fetch itself.",
            "Let the fetch's exception out as it is.",
        )
    lost = [task for task in fetch.tasks() if unretrieved(task)]
    if lost:
        task = lost[0]
        raise CheckFailed(
            f"Called {call.text}, where fig and apple both fail after 1 s. It raised {error_text(got)}, but the "
            f"task {task.get_name()!r} also failed, with {error_text(task.exception())}, and nothing ever read "
            'that exception: it was lost (asyncio reports "Task exception was never retrieved").',
            "Wait for the tasks with `await asyncio.gather(*tasks)` (or a TaskGroup): it reads every task's "
            "outcome. Awaiting tasks one by one, or with as_completed, leaves the other failures unread.",
        )
    first = min(e.at for e in fetch.events if e.kind == "fail")
    if first > FAILS_AT + EXACT or len(fetch.started) < len(items):
        raise CheckFailed(
            f"Called {call.text}. fig and apple fail 1 s after they start, but the first failure came only at "
            f"{secs(first)}: the fetches did not all start at once (started: {', '.join(map(repr, fetch.started))}).",
            CREATE_THEN_AWAIT,
            call.schedule(),
        )
    if call.loop_time > first + EXACT:
        raise CheckFailed(
            f"Called {call.text}. fig and apple failed at {secs(first)}, but it raised only at "
            f"{secs(call.loop_time)}: it was waiting for other tasks first.",
            "Wait for all the tasks at once (`await asyncio.gather(*tasks)`): it raises as soon as one fails.",
            call.schedule(),
        )
    running = [
        fetch.calls[i] for i, cancelled in fetch.running_at_return if not cancelled
    ]
    if running:
        raise CheckFailed(
            f"Called {call.text}. It raised at {secs(call.loop_time)} and left the tasks of "
            f"{', '.join(map(repr, running))} running: nobody wants their results any more, and they keep "
            "their connections busy.",
            "Cancel the tasks still running before you raise: `for task in tasks: task.cancel()` "
            "(in an `except` or `finally`), or use a TaskGroup, which does it for you.",
            call.schedule(),
        )


# --- heartbeat ----------------------------------------------------------------------------


class Send:
    """``send(message)``: an async fake that takes one turn of the loop and records each
    message with the loop time it was sent at."""

    name = "send"

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []
        self._made: list[tuple[Any, Any]] = []  # (message, coroutine)
        self._unrun: list[Any] = []  # the messages whose coroutine was never awaited

    def __call__(self, message: Any):
        coroutine = self._run(message)
        coroutine.__qualname__ = f"send({message!r})"
        self._made.append((message, coroutine))
        return coroutine

    async def _run(self, message: Any) -> None:
        self.sent.append((message, asyncio.get_running_loop().time()))
        await asyncio.sleep(0)

    def never_awaited(self) -> list[Any]:
        """The messages send(...) was called with but whose coroutine never ran."""
        for message, coroutine in self._made:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
                self._unrun.append(message)
        return list(self._unrun)

    def unawaited_failure(self, call, ignore: tuple = ()) -> None:
        """Fail when a send(...) coroutine was made but never awaited (other than of ``ignore``)."""
        missing = [m for m in self.never_awaited() if m not in ignore]
        if not missing:
            return
        shown = ", ".join(dict.fromkeys(f"send({m!r})" for m in missing))
        first = f'"{missing[0]}"' if isinstance(missing[0], str) else repr(missing[0])
        raise CheckFailed(
            f"Called {call.text}. It called {shown} but never awaited it, so that message was never sent: "
            "calling an async function only makes a coroutine object.",
            f"Await each message: `await send({first})`.",
            self.text(),
        )

    def spans(self) -> list:
        return []

    def at(self, message: str) -> list[float]:
        return [t for m, t in self.sent if expect.same(m, message)]

    def text(self) -> str:
        if not self.sent:
            return "What send received: nothing."
        shown = (
            self.sent
            if len(self.sent) <= 14
            else self.sent[:10] + [("…", -1.0)] + self.sent[-3:]
        )
        parts = ["…" if t < 0 else f"{m!r} at {secs(t)}" for m, t in shown]
        return "What send received, in order:\n  " + ", ".join(parts)


class Outcome:
    """How a heartbeat task ended after cancel()."""

    def __init__(self) -> None:
        self.state = "running"  # "cancelled", "returned", "running"
        self.value: Any = None


def run_heartbeat(
    learner, send: Send, interval: float, cancel_at: float, outcome: Outcome
):
    async def scenario(heartbeat):
        task = asyncio.create_task(heartbeat(send, interval), name="heartbeat")
        await asyncio.sleep(cancel_at)
        task.cancel()
        await asyncio.wait({task}, timeout=4 * interval)
        if not task.done():
            return  # the harness cancels it again, and gives up on it if it refuses
        if task.cancelled():
            outcome.state = "cancelled"
            return
        error = task.exception()
        if error is not None:
            raise error  # reported by the harness (a stub, a bug), with its line
        outcome.state, outcome.value = "returned", task.result()

    text = f"heartbeat(send, {interval:g}) as a task, cancelled at {secs(cancel_at)}"
    return learner.run_scenario("heartbeat", scenario, text=text, probes=(send,))


HEARTBEATS = [(1.0, 3.5), (0.25, 0.6)]
HEARTBEAT_IDS = ["every-1s", "every-0.25s"]


def expected_beats(interval: float, until: float) -> list[float]:
    count = int(until / interval + EXACT) + 1
    return [
        round(k * interval, 9) for k in range(count) if k * interval < until - EXACT
    ]


@pytest.mark.points(1)
@pytest.mark.parametrize("interval, cancel_at", HEARTBEATS, ids=HEARTBEAT_IDS)
def test_heartbeat_beats_at_once_then_every_interval(learner, interval, cancel_at):
    """heartbeat sends "beat" at once and then every interval seconds"""
    send, outcome = Send(), Outcome()
    call = run_heartbeat(learner, send, interval, cancel_at, outcome)
    call.result()
    check_sent_something(
        call, send, ignore=("stopped",)
    )  # "stopped" is judged by the next check
    before = [(m, t) for m, t in send.sent if t < cancel_at - EXACT]
    odd = sorted({repr(m) for m, _ in before if not expect.same(m, "beat")})
    if odd:
        raise CheckFailed(
            f'Called {call.text}. Before the cancel it sent {", ".join(odd)}; expected only "beat".',
            'Send exactly the text "beat": `await send("beat")`.',
            send.text(),
        )
    got = [t for _, t in before]
    wanted = expected_beats(interval, cancel_at)
    if len(got) != len(wanted) or any(abs(g - w) > EXACT for g, w in zip(got, wanted)):
        late_start = got and abs(got[0] - interval) <= EXACT
        raise CheckFailed(
            f'Called {call.text}. It sent "beat" at {times(got)}; expected at {times(wanted)}: the first beat at '
            f"once, then one every {secs(interval)}.",
            'Send first, then sleep: `while True: await send("beat"); await asyncio.sleep(interval)`.'
            if late_start
            else "Pause with `await asyncio.sleep(interval)` between beats (never time.sleep).",
            send.text(),
        )


def check_sent_something(call, send: Send, ignore: tuple = ()) -> None:
    send.unawaited_failure(call, ignore)
    if not send.sent:
        raise CheckFailed(
            f'Called {call.text}. It never sent anything; expected "beat" at once.'
        )


@pytest.mark.points(2)
@pytest.mark.parametrize("interval, cancel_at", HEARTBEATS, ids=HEARTBEAT_IDS)
def test_heartbeat_stops_when_cancelled(learner, interval, cancel_at):
    """a cancelled heartbeat sends "stopped" at once, beats no more and ends as cancelled"""
    send, outcome = Send(), Outcome()
    call = run_heartbeat(learner, send, interval, cancel_at, outcome)
    call.result()
    check_sent_something(call, send)
    after = [(m, t) for m, t in send.sent if t >= cancel_at - EXACT]
    beats_after = [t for m, t in after if expect.same(m, "beat")]
    if outcome.state == "running":
        if beats_after:
            raise CheckFailed(
                f"Called {call.text}. It kept beating after it was cancelled (beats at {times(beats_after)}): "
                "it caught the CancelledError and ran on. A cancelled task must stop.",
                RERAISE,
                send.text(),
            )
        raise CheckFailed(
            f"Called {call.text}. It was still running {secs(4 * interval)} after it was cancelled: it caught "
            "the CancelledError and went on waiting.",
            RERAISE,
            send.text(),
        )
    stopped = send.at("stopped")
    if not stopped:
        raise CheckFailed(
            f'Called {call.text}. It stopped, but never sent "stopped": a cancelled task sees a CancelledError '
            "at the await where it is paused, and that is the moment to clean up.",
            'Catch it to send "stopped", then re-raise: `except asyncio.CancelledError: await send("stopped"); '
            "raise` (or send it in `finally:`).",
            send.text(),
        )
    if outcome.state == "returned":
        raise CheckFailed(
            f'Called {call.text}. It sent "stopped", then returned {short(outcome.value)} as if it had finished '
            "normally: it swallowed the CancelledError. Whoever cancelled it (with_heartbeat, a TaskGroup, "
            "asyncio.timeout) learns that it stopped from the CancelledError coming out of it.",
            RERAISE,
            send.text(),
        )
    if (
        beats_after
        or len(stopped) != 1
        or not expect.same(send.sent[-1][0], "stopped")
        or abs(stopped[0] - cancel_at) > EXACT
    ):
        raise CheckFailed(
            f'Called {call.text}. Expected "stopped" once, at {secs(cancel_at)} when it was cancelled, '
            f"and nothing after it.",
            RERAISE,
            send.text(),
        )


# --- with_heartbeat -----------------------------------------------------------------------


class Job(Probe):
    """``job()``: a Probe called without arguments (its one item is "job")."""

    def __call__(self):  # type: ignore[override]
        return super().__call__("job")


REPORT = "report ready"
HANG_CAUSES = (
    (
        "awaiting the heartbeat task before the job: a heartbeat never ends on its own, so await the job, "
        "then cancel the heartbeat"
    ),
    "a heartbeat that catches its CancelledError and runs on (it must re-raise it)",
    "a missing await",
)


class Left:
    """The tasks with_heartbeat started that were still running when it returned."""

    def __init__(self) -> None:
        self.tasks: list[
            tuple[str, bool]
        ] = []  # (how the learner knows it, cancel() requested)
        self.gave_up = False  # still running at GIVE_UP s: the check cancelled it
        self.cancel_escaped = (
            False  # it raised CancelledError though nobody cancelled it
        )

    @property
    def cancelled(self) -> list[str]:
        return [name for name, asked in self.tasks if asked]

    @property
    def running(self) -> list[str]:
        return [name for name, asked in self.tasks if not asked]


def task_label(task: asyncio.Task) -> str:
    coroutine = task.get_coro()
    return f"{getattr(coroutine, '__qualname__', task.get_name()).rsplit('.', 1)[-1]}()"


GIVE_UP = 30.0  # s of loop time: a job of a few seconds is long over


def run_with_heartbeat(learner, job: Job, send: Send, interval: float, left: Left):
    async def scenario(with_heartbeat):
        before = asyncio.all_tasks()
        try:
            async with asyncio.timeout(GIVE_UP):
                return await with_heartbeat(job, send, interval)
        except TimeoutError:
            if asyncio.get_running_loop().time() < GIVE_UP - EXACT:
                raise  # the learner's own TimeoutError
            left.gave_up = True
            return None
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():
                raise  # the harness (or the check's own timeout) cancelled it
            left.cancel_escaped = True
            return None
        finally:
            left.tasks = [
                (task_label(t), t.cancelling() > 0)
                for t in asyncio.all_tasks() - before
                if not t.done()
            ]

    text = describe_call("with_heartbeat", (job, send, interval))
    return learner.run_scenario(
        "with_heartbeat",
        scenario,
        text=text,
        probes=(job, send),
        limit=60,
        hang_causes=HANG_CAUSES,
    )


def judge_gave_up(call, job: Job, send: Send, ends: float, left: Left) -> None:
    """with_heartbeat was still running long after its job (say what it was waiting for), or it
    raised a CancelledError though nobody had cancelled it."""
    if left.cancel_escaped:
        raise CheckFailed(
            f"Called {call.text}. Nobody cancelled with_heartbeat, yet at {secs(call.loop_time)} it raised "
            "CancelledError instead of returning the job's result or raising its exception: awaiting the "
            "cancelled heartbeat task raises that task's CancelledError in your code, and you let it out. "
            "Its caller now believes with_heartbeat itself was cancelled.",
            CANCEL_AND_WAIT,
            send.text(),
        )
    if not left.gave_up:
        return
    beats = send.at("beat")
    if not job.calls:
        raise CheckFailed(
            f"Called {call.text}. After {secs(GIVE_UP)} it had still not called job(), while the heartbeat "
            f"beat on ({times(beats)}): it awaited the heartbeat task right after creating it, and a "
            "heartbeat never ends on its own.",
            "Don't await the heartbeat: create its task, then `await job()` while it runs, then cancel it.",
            send.text(),
        )
    stopped = [t for t in send.at("stopped") if abs(t - ends) <= EXACT]
    if stopped and any(t > ends + EXACT for t in beats):
        raise CheckFailed(
            f"Called {call.text}. The job was over at {secs(ends)} and the heartbeat was cancelled then (it sent "
            f'"stopped"), but it beat on, so with_heartbeat was still waiting for it at {secs(GIVE_UP)}: '
            "your heartbeat catches its CancelledError and runs on.",
            RERAISE,
            send.text(),
        )
    raise CheckFailed(
        f"Called {call.text}. The job was over at {secs(ends)}, but with_heartbeat was still running at "
        f"{secs(GIVE_UP)}: it waited for the heartbeat, which never ends on its own, instead of cancelling it.",
        CANCEL_AND_WAIT,
        send.text(),
    )


def judge_heartbeat_around_job(
    call, job: Job, send: Send, interval: float, ends: float, left: Left
) -> None:
    if not job.calls:
        raise CheckFailed(
            f"Called {call.text}. It never called job(): the job is what with_heartbeat is for."
        )
    if job.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called job() but never awaited it, so the job never ran."
        )
    expect.each_item_once(call, job, ["job"])
    send.unawaited_failure(call)
    beats = send.at("beat")
    during = [t for t in beats if t < ends - EXACT]
    wanted = expected_beats(interval, ends)
    if not during:
        later = f" (it beat only at {times(beats)})" if beats else ""
        raise CheckFailed(
            f"Called {call.text}. The job ran from 0 s to {secs(ends)}, and no beat was sent during it{later}: "
            "the heartbeat must run in the background while the job runs.",
            "Start the heartbeat as a task first, `beating = asyncio.create_task(heartbeat(send, interval))`, "
            "then `await job()`.",
            send.text(),
        )
    if left.running:
        raise CheckFailed(
            f"Called {call.text}. It returned at {secs(call.loop_time)} and left {', '.join(left.running)} "
            "running: the heartbeat was never cancelled, so it would beat forever.",
            CANCEL_AND_WAIT,
            send.text(),
        )
    if left.cancelled:
        raise CheckFailed(
            f"Called {call.text}. It cancelled {', '.join(left.cancelled)} but returned at {secs(call.loop_time)} "
            "while it was still running. cancel() only asks a task to stop: the task stops later, at its next "
            'turn, and may still have work to do (sending "stopped").',
            CANCEL_AND_WAIT,
            send.text(),
        )
    late = [t for t in beats if t > ends + EXACT]
    stopped = send.at("stopped")
    if late or not stopped or abs(stopped[0] - ends) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. The job ended at {secs(ends)}; expected the heartbeat to be cancelled then, "
            f'sending "stopped" at {secs(ends)}. It sent "stopped" at {times(stopped)}'
            + (f" and beat at {times(late)}" if late else "")
            + ".",
            CANCEL_AND_WAIT,
            send.text(),
        )
    if [round(t, 6) for t in during] != [round(t, 6) for t in wanted]:
        raise CheckFailed(
            f"Called {call.text}. During the job ({secs(ends)}) it beat at {times(during)}; expected at "
            f"{times(wanted)}: the heartbeat running from the start of the job.",
            "Start the heartbeat task before you await the job.",
            send.text(),
        )


@pytest.mark.points(2)
def test_with_heartbeat_beats_while_the_job_runs(learner):
    """with_heartbeat beats while the job runs, stops the heartbeat when it ends and returns its result"""
    job = Job("job", delay=3.5, result=lambda _item: REPORT)
    send, left = Send(), Left()
    call = run_with_heartbeat(learner, job, send, 1.0, left)
    got = call.result()
    judge_gave_up(call, job, send, 3.5, left)
    judge_heartbeat_around_job(call, job, send, 1.0, 3.5, left)
    if not expect.same(got, REPORT):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected the job's result, {REPORT!r}."
        )
    if abs(call.loop_time - 3.5) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. The job took 3.5 s, but it returned at {secs(call.loop_time)}.",
            CANCEL_AND_WAIT,
            send.text(),
        )


@pytest.mark.points(1)
def test_with_heartbeat_stops_it_when_the_job_fails(learner):
    """with_heartbeat stops the heartbeat when the job fails, and raises the job's exception"""
    error = RuntimeError("the job crashed")
    job = Job("job", delay=2.5, errors={"job": error})
    send, left = Send(), Left()
    call = run_with_heartbeat(learner, job, send, 1.0, left)
    judge_gave_up(call, job, send, 2.5, left)
    if (
        call.run.error is not None
        and holds(call.run.error, [error])
        and left.running
    ):
        raise CheckFailed(
            f"Called {call.text}, where the job fails at 2.5 s. It raised the job's error, but left "
            f"{', '.join(left.running)} running: the code that stops the heartbeat never ran.",
            "Put the cancel (and the wait) in a `finally:` around `await job()`, so it runs when the job fails too.",
            send.text(),
        )
    expect.raised(
        call,
        error,
        "job",
        advice="Don't catch the job's exception: stop the heartbeat in `finally:` and let it out.",
    )
    judge_heartbeat_around_job(call, job, send, 1.0, 2.5, left)


# --- notify -------------------------------------------------------------------------------


class Mail:
    """``send(message)`` for notify: it delivers after ``delay`` s of loop time.

    While it waits, nothing the loop owns refers to the task running it (as with a real
    socket's future), so a task the learner did not keep a reference to can be
    garbage-collected mid-send, as the asyncio docs warn. It keeps only a weak reference to
    that task, unless ``keep``.
    """

    name = "send"

    def __init__(
        self, delay: float = 2.0, error: BaseException | None = None, keep: bool = False
    ) -> None:
        self.delay = delay
        self.error = error
        self.keep = keep
        self.calls: list[Any] = []
        self.started: asyncio.Event | None = None
        self.started_at: float | None = None
        self.delivered_at: float | None = None
        self.failed_at: float | None = None
        self.destroyed = False  # its task was garbage-collected while waiting
        self.task_ref: weakref.ref | None = None
        self.task: asyncio.Task | None = None
        self._made: list[weakref.ref] = []
        self._entered = 0

    def __call__(self, message: Any):
        self.calls.append(message)
        coroutine = self._run(message)
        coroutine.__qualname__ = f"send({message!r})"
        self._made.append(
            weakref.ref(coroutine)
        )  # a strong one would keep the task alive
        return coroutine

    async def _run(self, message: Any) -> None:
        self._entered += 1
        loop = asyncio.get_running_loop()
        self.task_ref = weakref.ref(asyncio.current_task())
        if self.keep:
            self.task = asyncio.current_task()
        self.started_at = loop.time()
        self.started.set()
        gate = loop.create_future()
        loop.call_later(self.delay, _open, weakref.ref(gate))
        try:
            await gate
        except GeneratorExit:
            self.destroyed = True
            raise
        del gate
        if self.error is not None:
            self.failed_at = loop.time()
            raise self.error
        self.delivered_at = loop.time()

    def never_awaited(self) -> int:
        for ref in self._made:
            coroutine = ref()
            if (
                coroutine is not None
                and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED
            ):
                coroutine.close()
        return len(self.calls) - self._entered

    def spans(self) -> list:
        return []

    def live_task(self) -> asyncio.Task | None:
        return self.task_ref() if self.task_ref is not None else None


def _open(gate_ref: weakref.ref) -> None:
    gate = gate_ref()
    if gate is not None and not gate.done():
        gate.set_result(None)


class Notified:
    """What the notify scenario saw."""

    def __init__(self) -> None:
        self.returned_at: float | None = None
        self.value: Any = None
        self.failures: list = []
        self.alive_after_done = False


def run_notify(learner, mail: Mail, seen: Notified, message: str = "build finished"):
    async def scenario(notify):
        loop = asyncio.get_running_loop()
        mail.started = asyncio.Event()
        # Objects older than this run are left out of the collections below: they take
        # microseconds, not the many milliseconds the loop's watchdog would blame on the learner.
        gc.freeze()
        try:
            seen.value = await notify(mail, message, seen.failures)
            seen.returned_at = loop.time()
            try:
                await asyncio.wait_for(mail.started.wait(), 1.0)
            except TimeoutError:
                pass
            gc.collect()  # what a busy program's garbage collector does, at some moment
            await asyncio.sleep(mail.delay + 1.0)
            gc.collect()
            seen.alive_after_done = mail.live_task() is not None
            return seen.value
        finally:
            gc.unfreeze()

    text = describe_call("notify", (mail, message, seen.failures))
    return learner.run_scenario("notify", scenario, text=text, probes=(mail,))


def judge_notify_started(call, mail: Mail, seen: Notified) -> None:
    """notify returned at once, having started send(message) in a task."""
    if call.run.error is not None and not holds(
        call.run.error, [mail.error] if mail.error else []
    ):
        call.result()
    if not mail.calls:
        raise CheckFailed(f"Called {call.text}. It never called send(message).")
    if mail.never_awaited():
        raise CheckFailed(
            f"Called {call.text}. It called send(message) but never ran the coroutine: nothing was sent.",
            "Run it in the background as a task: `task = asyncio.create_task(send(message))`.",
        )
    returned = call.loop_time if seen.returned_at is None else seen.returned_at
    if returned > EXACT:
        raise CheckFailed(
            f"Called {call.text}. It returned only at {secs(returned)}, after the send had "
            f"{'failed' if mail.error else 'finished'}: it waited for the send. notify must return at once "
            "and let the send go on in the background.",
            "Don't await the task: create it, keep a reference to it, and return. "
            + KEEP_REFERENCE,
        )
    if seen.value is not None:
        raise CheckFailed(
            f"Called {call.text}. It returned {short(seen.value)}; expected None."
        )


@pytest.mark.points(2)
def test_notify_sends_in_the_background(learner):
    """notify returns at once, and its task survives garbage collection until the send is done"""
    mail, seen = Mail(delay=2.0), Notified()
    call = run_notify(learner, mail, seen)
    judge_notify_started(call, mail, seen)
    if mail.destroyed or mail.delivered_at is None and mail.live_task() is None:
        raise CheckFailed(
            f"Called {call.text}. notify returned at once, but while send was waiting, the garbage collector "
            "ran and destroyed the task: nothing referred to it, so the message was never delivered "
            '(asyncio reports "Task was destroyed but it is pending!"). ' + WEAK_LOOP,
            KEEP_REFERENCE,
        )
    if mail.delivered_at is None or abs(mail.delivered_at - mail.delay) > EXACT:
        raise CheckFailed(
            f"Called {call.text}. The send started at {times([mail.started_at] if mail.started_at is not None else [])} "
            f"and should have been delivered at {secs(mail.delay)}; it was not.",
            "Start send(message) as a task at once and let it run to the end.",
        )
    if seen.failures:
        raise CheckFailed(
            f"Called {call.text}. The send succeeded, but failures is {short(seen.failures)}; expected [] "
            "(only a failed send's exception goes there)."
        )


@pytest.mark.points(1)
def test_notify_forgets_finished_tasks(learner):
    """notify drops its reference to a task once the task is done"""
    mail, seen = Mail(delay=2.0), Notified()
    call = run_notify(learner, mail, seen)
    judge_notify_started(call, mail, seen)
    if mail.delivered_at is None:
        raise CheckFailed(
            f"Called {call.text}. The message was never delivered: the task did not live until the send was done. "
            + WEAK_LOOP,
            KEEP_REFERENCE,
        )
    if seen.alive_after_done:
        raise CheckFailed(
            f"Called {call.text}. The send was done at {secs(mail.delivered_at)}, and at {secs(mail.delay + 1)} "
            "its finished task was still referenced: every call of notify leaves one more task behind, "
            "a leak that grows for as long as the program runs.",
            "Drop the reference once the task is done: `task.add_done_callback(background.discard)`.",
        )


@pytest.mark.points(1)
def test_notify_keeps_a_failed_sends_exception(learner):
    """notify puts a failed send's exception into failures, so the error is not lost"""
    error = ConnectionError("mail server down")
    mail, seen = Mail(delay=2.0, error=error, keep=True), Notified()
    call = run_notify(learner, mail, seen)
    try:
        judge_notify_started(call, mail, seen)
        task = mail.task
        if len(seen.failures) == 1 and seen.failures[0] is error:
            return
        if task is not None and unretrieved(task):
            raise CheckFailed(
                f"Called {call.text}. The send failed at {secs(mail.failed_at or mail.delay)} with "
                f"{error_text(error)}, and nothing ever read the task's exception: the error was lost "
                f'(asyncio reports "Task exception was never retrieved"). failures is {short(seen.failures)}.',
                "Nobody awaits a background task, so read its outcome in a done callback: "
                "`if not task.cancelled() and task.exception() is not None: failures.append(task.exception())`.",
            )
        if any(f is error for f in seen.failures):
            raise CheckFailed(
                f"Called {call.text}. failures is {short(seen.failures)}; expected the send's exception once: "
                f"[{error_text(error)}]."
            )
        if any(type(f) is type(error) for f in seen.failures):
            raise CheckFailed(
                f"Called {call.text}. failures holds a new {type(error).__name__}, not the exception object the "
                "send raised.",
                "Append the exception itself: `failures.append(task.exception())`.",
            )
        raise CheckFailed(
            f"Called {call.text}. The send failed with {error_text(error)}, and failures is "
            f"{short(seen.failures)}; expected [{error_text(error)}]: the exception object itself.",
            "Read it in a done callback, `failures.append(task.exception())` when `not task.cancelled()`, "
            "or catch it around `await send(message)` inside the background coroutine.",
        )
    finally:
        mark_retrieved([mail.task])
        mail.task = None
