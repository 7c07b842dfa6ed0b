"""The learner's process: runs one learner coroutine on a loop whose clock the judge owns.

Started by ``judge.run_remote`` as ``python -I learner_side.py FD`` (FD: its end of the
socket). It reads one "run" message, calls the function, and asks the judge for every call
of a judge callable. When its loop has nothing to do it says "idle" (with its next timer)
and waits; only the judge moves its clock. Judge frames are ``{"now": t, "ops": [...]}``.
It reports "done" when the function returns, keeps its loop (and the tasks left running) going
until the judge says "end", then cleans up as the kit does in one process and reports "ended".
"""

from __future__ import annotations

import _socket
import asyncio
import gc
import importlib.util
import inspect
import itertools
import os
import selectors
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable
from weakref import WeakKeyDictionary

if __name__ == "__main__":  # a script under -I: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from grader import learner_tasks  # noqa: E402
from grader.remote import wire  # noqa: E402


class Link:
    """The learner's end of the socket: the clock, the calls waiting for the judge, the idle reports."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = wire.FrameReader()
        self.now = 0.0
        self.seen = 0  # judge frames received
        self.loop: LearnerLoop | None = None
        self.codec = wire.LearnerCodec(set(), self.make_proxy)
        self.waiting: dict[int, asyncio.Future] = {}
        self.jobs: set[asyncio.Future] = set()  # executor jobs in flight
        self.made: Counter[str] = Counter()  # calls of each proxy made, and begun: the unawaited count
        self.begun: Counter[str] = Counter()
        self.pending: list[bytes] = []  # messages of this loop step, sent together when it ends
        self.run: dict | None = None  # the judge's "run" message
        self._ids = 0
        self.numbers: WeakKeyDictionary[asyncio.Task, int] = WeakKeyDictionary()  # the learner's tasks, numbered
        self.numbered = itertools.count(1)
        self.told: list | None = None  # its tasks as last reported
        self.recorder: Any = None  # grader.blocking.Recorder, once the guards are on
        self.main_task: asyncio.Task | None = None  # the run of the learner's function
        self.session_task: asyncio.Task | None = None  # the harness's task around it
        self.end: dict | None = None  # the judge's "end" message, once it came
        self.ending: asyncio.Future | None = None  # set when it comes
        self.budget: list[int] | None = None  # the callback budget left, once the guards are on
        self.outcome: Any = None  # what the function returned or raised, kept (as the kit's Run keeps it) to the end
        self.busy = False  # the callback budget ran out
        self.loop_errors: list[str] = []
        self.unretrieved: list[BaseException] = []

    def post(self, message: dict) -> None:
        """Send ``message`` when this loop step ends (``flush``): the calls one step makes reach the
        judge together, so its probes start them in one step, as in one process."""
        self.pending.append(wire.pack(message))

    def send(self, message: dict) -> None:
        self.post(message)
        self.flush()

    def flush(self) -> None:
        """Send what was posted, in order."""
        if self.pending:
            data, self.pending = b"".join(self.pending), []
            _socket.socket.sendall(self.sock, data)  # past blockbuster: the harness's own link

    def receive(self) -> None:
        """Read what the socket holds (it is readable); act on each complete judge frame."""
        data = _socket.socket.recv(self.sock, 1 << 16)
        if not data:  # the judge is gone
            os._exit(1)
        for frame in self.reader.feed(data):
            self.seen += 1
            self.now = float(frame["now"])
            for op in frame["ops"]:
                self.handle(op)

    def handle(self, op: dict) -> None:
        if op["op"] in ("result", "error"):
            future = self.waiting.pop(op["id"], None)
            if future is not None and not future.done():
                if op["op"] == "result":
                    future.set_result(self.codec.decode(op["value"]))
                else:
                    future.set_exception(self.codec.decode(op["error"]))
        elif op["op"] == "run":
            self.run = op
        elif op["op"] == "cancel_run" and self.main_task is not None:
            self.main_task.cancel(op.get("msg"))
        elif op["op"] == "end" and self.ending is not None and not self.ending.done():
            self.end = op
            self.ending.set_result(None)

    def idle(self) -> None:
        scheduled = self.loop._scheduled  # the loop's timer heap: the head is the next timer
        message = {"op": "idle", "next": scheduled[0].when() if scheduled else None, "seen": self.seen}
        tasks = self.tasks()
        if tasks != self.told:
            message["tasks"] = self.told = tasks
        self.send(message)

    def make_proxy(self, number: int, name: str) -> Callable[..., Any]:
        """A judge callable as the learner sees it: a function returning a coroutine that asks the judge."""
        link = self

        def proxy(*args: Any) -> Any:
            coroutine = link.call(number, name, args)
            coroutine.__qualname__ = f"{name}({', '.join(map(wire.short, args))})"
            link.made[name] += 1
            return coroutine

        proxy.__name__ = proxy.__qualname__ = name
        return proxy

    async def call(self, number: int, name: str, args: tuple) -> Any:
        self._ids += 1
        self.begun[name] += 1
        ident, future = self._ids, self.loop.create_future()
        self.waiting[ident] = future
        message = {"op": "call", "id": ident, "proxy": number, "args": self.codec.encode(list(args)), "inside": True}
        task = asyncio.current_task()
        if getattr(task.get_coro(), "cr_code", None) is Link.call.__code__:  # the call is a task of its own
            message.update(inside=False, name=task.get_name())
        self.post(message)
        try:
            return await future
        except asyncio.CancelledError:
            if self.waiting.pop(ident, None) is not None:
                self.post({"op": "cancel", "id": ident})
            raise

    async def main(self, function: Callable[..., Any], args: list, kwargs: dict) -> None:
        """Call the learner's function, await what it returns, report it to the judge (``done``)."""
        report: dict[str, Any] = {}
        try:
            awaitable = function(*args, **kwargs)
            if inspect.isawaitable(awaitable):
                self.outcome = await awaitable
                report["value"] = self.codec.encode(self.outcome)
            else:
                self.outcome = awaitable
                report["not_awaitable"] = self.codec.encode(awaitable)
        except (Exception, asyncio.CancelledError) as error:  # SystemExit ends the process: the judge sees it
            self.outcome = error
            report["error"] = self.codec.encode(error)
        report["leaked"] = self.left_running()
        report["tasks"] = self.told = self.tasks()
        report["cancelled"] = self.cancelled_calls()
        self.report("done", report)

    def others(self) -> set[asyncio.Task]:
        """The tasks the learner's code started (not the function's own run, nor the session)."""
        return asyncio.all_tasks() - {self.main_task, self.session_task}

    def tasks(self) -> list[list]:
        """What the judge mirrors: the function's own run (number 0), then the learner's own tasks (not
        those that are a judge callable's call: the judge has a task for each), each as [number, its
        coroutine's name, its name, whether it is cancelling, where it waits]."""
        entries = []
        if self.main_task is not None and not self.main_task.done():
            entries.append([0, "", "", False, _wait(self.main_task)])
        for task in self.others():
            if getattr(task.get_coro(), "cr_code", None) is not Link.call.__code__:
                number = self.numbers.get(task) or self.numbers.setdefault(task, next(self.numbered))
                entries.append([number, learner_tasks.task_name(task), task.get_name(), task.cancelling() > 0, _wait(task)])
        return sorted(entries)[:100]

    def cancelled_calls(self) -> list[int]:
        """The calls whose futures are cancelled, for the judge to cancel with the report: a
        ``task.cancel()`` just before the return reaches the awaited call a loop step later, but in
        one process that call is already stopping (``task.cancelling()``) when the caller goes on."""
        cancelled = [ident for ident, future in self.waiting.items() if future.cancelled()]
        for ident in cancelled:
            del self.waiting[ident]
        return cancelled

    async def session(self, function: Callable[..., Any], args: list, kwargs: dict) -> None:
        """Run the learner's function; once the judge says "end" (its scenario is over), cancel the
        tasks still running, the function's too after a hang, give them and the async generators the
        kit's clean-up time to unwind (``grader.loop.run_coroutine``), and report ``ended``."""
        self.ending = self.loop.create_future()
        self.session_task = asyncio.current_task()
        self.main_task = asyncio.create_task(self.main(function, args, kwargs))
        await self.ending
        _neutralise(self.outcome)
        if self.budget is not None:
            self.budget[0] = self.end["budget"]
        leaked = self.left_running()
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self.end["time"])
        for task in tasks:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: the function's own outcome is already reported
        await asyncio.wait({asyncio.create_task(self.loop.shutdown_asyncgens())}, timeout=self.end["time"])
        gc.collect()  # futures dropped unread report to the loop's handler now
        self.report("ended", {"leaked": leaked, "ignored_cancel": not self.main_task.done()})

    def left_running(self) -> list[str]:
        """The names of the tasks the learner's code started that are still pending."""
        return sorted(_task_name(t) for t in self.others())[:100]

    def report(self, op: str, report: dict[str, Any]) -> None:
        """Send ``done`` or ``ended``: ``report``, the calls never awaited and what this process's
        guards saw so far."""
        report["unawaited"] = dict(self.made - self.begun)  # as a Probe counts: made, never begun
        report.update(self.findings())
        message = {"op": op, **report}
        if len(wire.pack(message)) > wire.MAX_FRAME:
            message["value"] = {"opaque": ["value", "a value too large to send"]}
            message.pop("error", None)
        self.send(message)

    def findings(self) -> dict[str, Any]:
        """What the guards around the learner's code recorded (blocking calls, a held loop, a
        callback budget passed, errors the loop would have logged, exceptions never retrieved)."""
        recorder = self.recorder
        if recorder is None:
            return {}
        return {
            "blocking": [[c.what, _where(c.where), c.at] for c in recorder.calls[:20]],
            "held": [[h.real, h.cpu, _where(h.where), h.at] for h in recorder.held[:20]],
            "busy": self.busy,
            "loop_errors": self.loop_errors[:20],
            "unretrieved": [self.codec.encode(e) for e in self.unretrieved[:5]],
        }


def _neutralise(value: Any) -> None:
    """A returned coroutine or future, dropped as the kit drops it (``grader.loop._neutralise``):
    closed, cancelled or its exception retrieved, so it never reports to the loop's handler."""
    if asyncio.iscoroutine(value):
        value.close()
    elif isinstance(value, asyncio.Future):
        if value.done() and not value.cancelled():
            value.exception()
        else:
            value.cancel()


def _where(location: Any) -> list | None:
    return None if location is None else [location.file, location.line, location.function]


def _wait(task: asyncio.Task) -> list | None:
    wait = learner_tasks.wait_of(task)
    return None if wait is None else [wait.method, wait.kind, wait.key, wait.unfinished]


def _task_name(task: asyncio.Task) -> str:
    """fetch('a') for a proxy's call, one() for the learner's function one."""
    name = getattr(task.get_coro(), "__qualname__", task.get_name())
    return name if name.endswith(")") else name.rsplit(".", 1)[-1] + "()"


class IdleSelector(selectors.DefaultSelector):
    """Polls first; with nothing ready, no timer due and no executor job running, reports idle
    to the judge, then waits for a judge frame (or the loop's own fds) for as long as it takes."""

    link: Link

    def select(self, timeout: float | None = None) -> list:
        self.link.flush()  # the loop step is over
        ready = super().select(0)
        if ready or timeout is not None and timeout < self.link.loop._clock_resolution:
            return ready  # a timer within the clock's resolution runs right after this select
        if not any(not job.done() for job in self.link.jobs):
            self.link.idle()
        return super().select(None)


class LearnerLoop(asyncio.SelectorEventLoop):
    """An event loop whose time is the judge's clock, and which tracks its executor jobs."""

    def __init__(self, link: Link) -> None:
        selector = IdleSelector()
        selector.link = link
        super().__init__(selector)
        self._link = link
        link.loop = self

    def time(self) -> float:
        return self._link.now

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future:
        future = super().run_in_executor(executor, func, *args)
        self._link.jobs.add(future)
        future.add_done_callback(self._link.jobs.discard)
        return future


def load(path: str, name: str) -> Callable[..., Any]:
    spec = importlib.util.spec_from_file_location("learner_module", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return getattr(module, name)


def kind(function: Any) -> str:
    """What the judge asks before a run: is it an ``async def`` (and not an async generator)?"""
    if inspect.isasyncgenfunction(function):
        return "async generator function"
    if inspect.iscoroutinefunction(function):
        return "coroutine function"
    return "function" if callable(function) else "not callable"


def _record_loop_error(link: Link, context: dict) -> None:
    error = context.get("exception")
    message = str(context.get("message"))
    link.loop_errors.append(f"{message}: {type(error).__name__}: {error}"[:500] if error is not None else message[:500])
    if error is not None and "never retrieved" in message:
        link.unretrieved.append(error)


def guarded(link: Link, loop: LearnerLoop, files: frozenset[str], budget: int, work: Callable[[], Any]) -> None:
    """Run ``work`` (the learner's run) with the kit's guards: blockbuster for blocking calls in
    the learner's files, the held-loop watch and the callback budget."""
    from grader.blocking import BudgetExceeded, Recorder, guard_calls, watch_loop

    link.recorder = Recorder(files, clock=loop.time)
    link.budget = [budget]
    loop.set_exception_handler(lambda _loop, context: _record_loop_error(link, context))
    with watch_loop(loop, link.recorder, link.budget), guard_calls(link.recorder):
        try:
            work()
        except BudgetExceeded:  # a busy wait; in the clean-up only the end of it, as in the kit
            link.busy = link.end is None
            link.report("ended", {})


def main(fd: int) -> None:
    link = Link(socket.socket(fileno=fd))
    while link.run is None:  # the first frame: what to run
        link.receive()
    run = link.run
    link.codec.files.add(str(Path(run["path"]).resolve()))
    loop = LearnerLoop(link)
    asyncio.set_event_loop(loop)
    try:
        function = load(run["path"], run["function"])
    except BaseException as error:  # a syntax error, a failing import, SystemExit there, no such function
        link.send({"op": "done", "error": link.codec.encode(error), "leaked": [], "unawaited": {}})
        link.send({"op": "ended", "unawaited": {}})
        os._exit(0)
    if run.get("kind_only"):
        link.send({"op": "done", "value": kind(function), "leaked": [], "unawaited": {}})
        link.send({"op": "ended", "unawaited": {}})
        os._exit(0)
    loop.add_reader(link.sock.fileno(), link.receive)
    args, kwargs = link.codec.decode(run["args"]), link.codec.decode(run.get("kwargs", {"dict": []}))
    work = lambda: loop.run_until_complete(link.session(function, args, kwargs))  # noqa: E731
    if "budget" in run:
        guarded(link, loop, frozenset(link.codec.files), int(run["budget"]), work)
    else:
        work()
    os._exit(0)  # the judge has the report; never wait for the learner's threads


if __name__ == "__main__":
    main(int(sys.argv[1]))
