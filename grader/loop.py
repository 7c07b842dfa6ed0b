"""Run learner coroutines on a virtual-time loop, with every guard in place.

``run_coroutine`` never raises for what the learner's code does: it returns a
``Run`` holding the value or exception and everything the guards observed. The one
exception: code that wound the loop's clock back or left a trace function to watch the
check judge it gets the tamper verdict, which voids its exercise.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import looptime

from grader import messages
from grader.blocking import BlockingCall, BudgetExceeded, HeldLoop, Recorder, guard_calls, watch_loop
from grader.failure import CheckFailed

CALLBACK_BUDGET = 50_000  # far above what a correct solution needs; a busy wait passes it in ~0.2 s
CLEANUP_BUDGET = 20_000
LOOP_LIMIT = 600.0  # seconds of loop time before a run counts as hung: free, and far above any check's delays
CLEANUP_TIME = 5.0  # seconds of loop time granted to cancelled tasks to finish

current_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "awaitlings_loop", default=None
)


@dataclass
class Run:
    """What happened when a coroutine ran: result, timing and what the guards saw."""

    value: Any = None
    error: BaseException | None = None
    loop_time: float = 0.0
    real_time: float = 0.0
    hung: bool = False  # still running at the loop-time limit
    ignored_cancel: bool = False  # ... and still running after being cancelled
    busy: bool = False  # passed the callback budget: polling without time passing
    not_awaitable: Any = None  # what the function returned, if it was not a coroutine
    blocking: list[BlockingCall] = field(default_factory=list)
    held: list[HeldLoop] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)  # tasks still pending when it returned
    loop_errors: list[str] = field(default_factory=list)  # what the loop would have logged
    unretrieved: list[BaseException] = field(default_factory=list)  # task exceptions nobody awaited

    @property
    def finished(self) -> bool:
        return not (self.hung or self.busy)


def _drain(loop: asyncio.AbstractEventLoop, tasks: set[asyncio.Task], budget: list[int]) -> set[asyncio.Task]:
    """Cancel ``tasks`` and let them unwind for a bounded time; return those that refused."""
    for task in tasks:
        task.cancel()
    budget[0] = CLEANUP_BUDGET
    try:
        loop.run_until_complete(asyncio.wait(tasks, timeout=CLEANUP_TIME))
    except BudgetExceeded:
        pass
    stuck = {t for t in tasks if not t.done()}
    for task in stuck:
        task._log_destroy_pending = False  # we report it ourselves
    for task in tasks - stuck:
        if not task.cancelled():
            task.exception()  # mark retrieved: the check reports what matters
    return stuck


def _record_loop_error(run: Run, context: dict) -> None:
    """The loop's exception handler: keep what it would log, for the check to report."""
    error = context.get("exception")
    message = str(context.get("message"))
    # 3.13 logs "Exception in callback Future.set_result()" without its argument: name the error
    run.loop_errors.append(f"{message}: {type(error).__name__}: {error}" if error is not None else message)
    if error is not None and "never retrieved" in message:
        run.unretrieved.append(error)


def _task_name(task: asyncio.Task) -> str:
    """How a learner knows a task: fetch('a') for a probe's, one() for their inner function one."""
    name = getattr(task.get_coro(), "__qualname__", task.get_name())
    return name if name.endswith(")") else name.rsplit(".", 1)[-1] + "()"


def _neutralise(value: Any) -> None:
    """Keep a returned coroutine or future from warning when it is garbage-collected
    ("never awaited", "exception was never retrieved"): the check reports it instead."""
    if asyncio.iscoroutine(value):
        value.close()
    elif isinstance(value, asyncio.Future):
        if value.done() and not value.cancelled():
            value.exception()
        else:
            value.cancel()


def run_coroutine(
    start: Callable[[], Awaitable[Any]],
    *,
    files: frozenset[str],
    limit: float = LOOP_LIMIT,
    budget: int = CALLBACK_BUDGET,
) -> Run:
    """Run ``start()`` (a call of the learner's coroutine function) to completion.

    ``limit`` is in seconds of loop time: virtual, so a generous limit costs nothing.
    ``files`` are the learner's source files; blocking calls are looked for in them.
    """
    run = Run()
    loop = looptime.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: _record_loop_error(run, context))
    recorder = Recorder(files, clock=loop.time)  # a new looptime loop starts at 0: no start time kept for code to edit
    token = current_loop.set(loop)
    left = [budget]
    harness: set[asyncio.Task] = set()  # the harness's own tasks, never the learner's leaks

    cancelled: list[asyncio.CancelledError] = []  # as raised in the learner's code, with its traceback

    async def main() -> Any:
        awaitable = start()
        if not isinstance(awaitable, Awaitable):
            run.not_awaitable = awaitable
            return None
        try:
            return await awaitable
        except asyncio.CancelledError as error:  # awaiting a task it cancelled itself, say: keep the line
            cancelled.append(error)
            raise
        finally:  # what was still running at the moment the learner's function returned
            others = asyncio.all_tasks() - {asyncio.current_task()} - harness
            run.leaked = sorted(_task_name(t) for t in others)

    real0 = time.perf_counter()
    watchers = tracing()
    try:
        with watch_loop(loop, recorder, left), guard_calls(recorder), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "coroutine ... was never awaited"
            task = loop.create_task(main(), name="learner")
            waiter = loop.create_task(asyncio.wait({task}, timeout=limit))
            harness.add(waiter)
            try:
                loop.run_until_complete(waiter)
            except BudgetExceeded:
                run.busy = True
            run.loop_time = loop.time()
            if not task.done():
                run.hung = not run.busy
                run.ignored_cancel = bool(_drain(loop, {task}, left))
            elif task.cancelled():
                run.error = cancelled[0] if cancelled else asyncio.CancelledError()
            elif task.exception() is not None:
                run.error = task.exception()
            else:
                run.value = task.result()
            _neutralise(run.value)
            others = {t for t in asyncio.all_tasks(loop) if not t.done()}
            if others:
                _drain(loop, others, left)
            try:
                left[0] = CLEANUP_BUDGET
                loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), CLEANUP_TIME))
            except (BudgetExceeded, Exception):
                pass
        gc.collect()  # futures dropped unread report to our handler now, not while pytest parses a report
    finally:
        run.real_time = time.perf_counter() - real0
        executor = getattr(loop, "_default_executor", None)
        if executor is not None:  # never wait for a learner's stuck thread
            executor.shutdown(wait=False, cancel_futures=True)
            loop._default_executor = None
        loop.close()
        current_loop.reset(token)
    run.blocking = recorder.calls
    run.held = recorder.held
    changed = [name for name, was, now in zip(_TRACERS, watchers, tracing()) if now is not was]
    if changed:
        restore_tracing(watchers)
    if recorder.rewound:
        changed.append("the event loop's clock")
    if changed:
        raise CheckFailed(messages.TAMPERED.format(names=", ".join(changed)))
    return run


_TRACERS = ("sys.settrace", "sys.setprofile", *(f"sys.monitoring tool {n}" for n in range(6)))


def tracing() -> tuple:
    """What watches code run: the trace and profile functions, and sys.monitoring's tools (3.12+)."""
    tools = tuple(sys.monitoring.get_tool(n) for n in range(6)) if hasattr(sys, "monitoring") else (None,) * 6
    return (sys.gettrace(), sys.getprofile(), *tools)


def restore_tracing(before: tuple) -> None:
    """Put back what ``tracing()`` gave as ``before``: a tool added since is silenced and freed."""
    sys.settrace(before[0])
    sys.setprofile(before[1])
    for number, (was, now) in enumerate(zip(before[2:], tracing()[2:])):
        if now is not was and was is None:
            sys.monitoring.set_events(number, 0)
            for event in vars(sys.monitoring.events).values():
                if isinstance(event, int) and event and not event & (event - 1):
                    sys.monitoring.register_callback(number, event, None)
            sys.monitoring.free_tool_id(number)
