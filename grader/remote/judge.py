"""The judge's side: run a learner coroutine in a child process, keep the probes and the clock here.

The judge's looptime loop runs the probes. The learner's loop (in the child) takes its time
from the judge's frames. Virtual time moves only while the learner is idle: from the moment
the judge sends it a frame until it reports idle having seen that frame, the judge's selector
waits on the socket in real time and never moves the clock. When both sides are idle, looptime
jumps to the earliest timer of either (the learner's next timer is a ``call_at`` here).
The learner's process outlives its function's return: its tasks left running go on, taking turns
on the clock, until the run (or the check's scenario) is over; then it is told to "end" and cleans
up as the kit does in one process (``CLEANUP_TIME``), within the same bounds, and is killed.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import math
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import looptime

from grader import learner_tasks
from grader.loop import CLEANUP_BUDGET, CLEANUP_TIME, current_loop
from grader.remote import wire

LOOP_LIMIT = 600.0  # seconds of loop time before a run counts as hung
HELD_LIMIT = 5.0  # real seconds the learner may keep its loop busy without going idle
ROUNDS = 20_000  # frames sent to the learner: a poll loop that makes time crawl passes it
LEARNER_SIDE = Path(__file__).with_name("learner_side.py")
ENDED = "its process ended before reporting"
_PR_SET_DUMPABLE = 4


@dataclass
class Outcome:
    """What a remote run gave: the learner's value or exception, and what the judge saw."""

    value: Any = None
    error: BaseException | None = None
    not_awaitable: Any = None  # what the function returned, if it was not awaitable
    loop_time: float = 0.0
    real_time: float = 0.0
    hung: bool = False  # both sides waiting with nothing that could wake them before the limit
    ignored_cancel: bool = False  # ... and its function still running after the clean-up cancelled it
    busy: bool = False  # it woke ROUNDS times with no end in sight (a poll loop)
    held: float | None = None  # real seconds it kept its loop busy before it was stopped
    ended_early: str | None = None  # its process ended, or broke the protocol, before reporting
    exit_status: str | None = None  # then: "exit code 3", "killed by SIGSEGV"
    leaked: list[str] = field(default_factory=list)  # its tasks still pending when it returned (or the scenario did)
    unawaited: dict[str, int] = field(default_factory=dict)  # proxy calls made but never awaited
    # what the learner process's guards saw (with a budget): the kit's own detectors, run there
    blocking: list[tuple[str, tuple | None, float]] = field(default_factory=list)  # (what, (file, line, function), at)
    held_loop: list[tuple[float, float, tuple | None, float]] = field(default_factory=list)  # (real, cpu, where, at)
    loop_errors: list[str] = field(default_factory=list)
    unretrieved: list[BaseException] = field(default_factory=list)
    frames: dict[int, tuple[BaseException, list]] = field(default_factory=dict, repr=False)
    raised_here: set[int] = field(default_factory=set, repr=False)  # ids of errors a learner line raised

    def where(self, error: BaseException) -> list[tuple[int, str, str]]:
        """The learner's frames (line, function, text) ``error`` passed through, innermost last."""
        return self.frames.get(id(error), (error, []))[1]


class Judge:
    """The judge's end of one run: answers calls, owns the clock, decides when time may move."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, *, limit: float, held_limit: float, rounds: int
    ) -> None:
        self.loop, self.sock = loop, sock
        self.limit, self.held_limit, self.rounds = limit, held_limit, rounds
        self.outcome = Outcome()
        self.codec = wire.JudgeCodec(self.outcome.frames)
        self.codec.raised_here = self.outcome.raised_here
        self.reader = wire.FrameReader(wire.MAX_FRAME)
        self.outbox: list[dict] = []
        self.sent = 0  # frames sent
        self.idle = True  # the learner has seen every frame and has nothing to do
        self.busy_since = time.monotonic()
        self.wake: asyncio.TimerHandle | None = None  # the learner's next timer
        self.calls: dict[int, asyncio.Task] = {}
        self.begun: set[int] = set()  # the calls whose task has taken its first step
        self.mirrors: dict[int, StandIn] = {}  # the learner's own tasks, by their number there
        self.caller: asyncio.Task | None = None  # the scenario's task that called the learner's function
        self.done = loop.create_future()  # the function's outcome is known
        self.answer: asyncio.Future | None = None  # the scenario's call of the function, waiting for it
        self.closed = loop.create_future()  # the learner's process is done with
        self.ending = False  # "end" is on its way: the clean-up
        self.leaked_at_end: list[str] | None = None  # its tasks still pending when told to end
        self.held_back: list[dict] | None = None  # its messages from "done" on, until this loop has nothing ready
        self.taking = False  # those are being taken now
        selector = loop._selector  # looptime's select moves time; the selector class's only waits
        self._timed_select = selector.select
        selector.select = self._select
        loop.add_reader(sock.fileno(), self._receive)
        self.readable = select.poll()  # the socket alone, while the learner runs
        self.readable.register(sock, select.POLLIN)

    @property
    def stopped(self) -> bool:
        """The learner was stopped (hung, busy, held, ended early), not told to end."""
        outcome = self.outcome
        return outcome.hung or outcome.busy or outcome.held is not None or bool(outcome.ended_early)

    def end(self) -> None:
        """The run or the scenario is over: tell the learner to clean up, within CLEANUP_TIME of
        loop time for its tasks and as much for its async generators (ROUNDS and held_limit hold)."""
        if self.closed.done() or self.ending:
            return
        if not self.done.done():  # the scenario never called the function: nothing ran there
            self._settle()
            self._close()
            return
        self.ending, self.limit = True, self.loop.time() + 2 * CLEANUP_TIME
        self.outbox.append({"op": "end", "time": CLEANUP_TIME, "budget": CLEANUP_BUDGET})

    def _select(self, timeout: float | None) -> list:
        if self.closed.done():
            return self._timed_select(timeout)
        if self.held_back is not None:  # the scenario goes on from the function's return first
            if timeout == 0:
                return self._timed_select(0)
            messages, self.held_back, self.taking = self.held_back, None, True
            self._take(messages)
            self.taking = False
            self._await_idle()
            return []
        if not self.idle:  # the learner is running at this instant: time stands still, nothing runs here
            self._await_idle()
            return []
        if timeout == 0:  # work is ready here: poll only
            return self._timed_select(0)
        if self.outbox:
            self._flush()
            return []
        if timeout is None or self.loop.time() + timeout > self.limit:
            self._stop(hung=True)  # nothing here or there can happen before the limit
            return []
        return self._timed_select(timeout)

    def _await_idle(self) -> None:
        """Take the learner's messages, in order, until it is idle (or has returned, or is stopped).
        Nothing runs on this loop meanwhile, so what the judge does never depends on how the
        learner's messages were spread in real time (a call and its cancel in one read or two)."""
        while not self.idle and self.held_back is None and not self.closed.done():
            left = self.busy_since + self.held_limit - time.monotonic()
            if left <= 0:
                self._stop(held=time.monotonic() - self.busy_since)
                return
            if self.readable.poll(left * 1000):
                self._receive()

    def _flush(self) -> None:
        if self.sent >= self.rounds:
            self._stop(busy=True)
            return
        frame = wire.pack({"now": self.loop.time(), "ops": self.outbox})
        self.outbox, self.sent, self.idle, self.busy_since = [], self.sent + 1, False, time.monotonic()
        try:
            self.sock.sendall(frame)
        except OSError:
            self._stop(ended_early=ENDED)

    def _receive(self) -> None:
        try:
            data = self.sock.recv(1 << 16)
        except OSError:
            data = b""
        if not data:  # its process ended: known in turn, after what it sent before
            self.loop.remove_reader(self.sock.fileno())
            self._take([None])
            return
        try:
            messages = self.reader.feed(data)
        except wire.ProtocolError as error:
            self._broke(error)
            return
        self._take(messages)

    def _take(self, messages: list[dict | None]) -> None:
        """Act on the learner's messages in order (None: its end). "done" waits until this loop has nothing
        ready (what the learner's code did before it returned, a call begun or cancelled, has happened
        here too), and the messages after it wait until that is so again: in one process the scenario
        goes on from the function's return before any task runs."""
        for index, message in enumerate(messages):
            if self.held_back is not None:
                self.held_back += messages[index:]
                return
            if type(message) is dict and message.get("op") == "done" and not self.done.done() and not self.taking:
                self.held_back = messages[index:]
                return
            if message is None:
                self._stop(ended_early=ENDED)
                return
            try:
                self._handle(message)
            except (wire.ProtocolError, LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                self._broke(error)
                return

    def _broke(self, error: Exception) -> None:
        self._stop(ended_early=f"its process broke the protocol ({type(error).__name__}: {error})")

    def _handle(self, message: dict) -> None:
        if self.closed.done():
            return
        op = message["op"]
        if op != "idle" and self.idle:  # it woke by itself (a thread, a signal): it runs now
            self.idle, self.busy_since = False, time.monotonic()
        if op == "call":
            ident, target = _int(message["id"]), self.codec.proxies[_int(message["proxy"])]
            args = self.codec.decode(message["args"])
            if ident in self.calls or type(args) is not list:
                raise wire.ProtocolError("a malformed call")
            serve = self._serve(ident, target, args)
            name = getattr(target, "name", None) or getattr(target, "__name__", "function")
            serve.__qualname__ = f"{name}({', '.join(map(wire.short, args))})"  # as a Probe names its calls
            own_name = _str(message["name"]) if "name" in message else None  # the learner's name for its task
            self.calls[ident] = self.loop.create_task(serve, name=own_name)
            if message.get("inside") is not False:  # in one process it runs inside the learner's task
                learner_tasks.serving.add(self.calls[ident])
        elif op == "cancel":
            ident = _int(message["id"])
            if ident in self.begun:
                self.calls[ident].cancel()
            elif ident in self.calls:  # made in this same run of the learner's code, not begun here yet:
                self.loop.call_soon(self.calls[ident].cancel)  # in one process it ran up to its first await
        elif op == "idle":
            if _int(message["seen"]) == self.sent:
                self.idle = True
                if self.wake is not None:
                    self.wake.cancel()
                when = message["next"]
                self.wake = None if when is None else self.loop.call_at(_time(when), self.outbox.append, {"op": "time"})
            if "tasks" in message:
                self._mirror(message["tasks"])
        elif op == "done":
            if not self.done.done():
                self.held_back = []
                self._mirror(message.get("tasks", []))
            self._settle(**self._report(message))
            for ident in message.get("cancelled", [])[:1000]:  # after the answer: the scenario goes on first
                if (task := self.calls.get(_int(ident))) is not None:
                    task.cancel()
        elif op == "ended":
            report = self._report(message)
            self.leaked_at_end = report.pop("leaked", None)
            if self.ending:  # a busy wait in the clean-up is cut short, not judged (as in the kit)
                report.pop("busy", None)
            report["ignored_cancel"] = message.get("ignored_cancel") is True
            self._set(**report)
            self._settle()
            self._close()
        else:
            raise wire.ProtocolError(f"an unknown op {op!r}")

    def _mirror(self, tasks: Any) -> None:
        """Keep a task of this loop for each of the learner's own tasks (named by its coroutine, with
        its name, cancelling if it is, and where it waits: ``grader.learner_tasks``), so a scenario's
        ``asyncio.all_tasks()`` sees them as in one process; number 0, the function's own run, waits
        in the scenario's task that called it. A stand-in ends when its task is no longer reported."""
        if type(tasks) is not list:
            raise wire.ProtocolError("a malformed list of tasks")
        reported, main_wait = set(), None
        for number, name, task_name, cancelling, wait in tasks[:100]:
            number = _int(number)
            if number == 0:
                main_wait = wait
                continue
            reported.add(number)
            if number not in self.mirrors:
                self.mirrors[number] = StandIn(self.loop, _str(name), _str(task_name))
            if cancelling is True:
                self.mirrors[number].cancel()
            _tell(self.mirrors[number].task, wait)
        if self.caller is not None:
            _tell(self.caller, main_wait)
        for number in set(self.mirrors) - reported:  # ended there: ended here before the scenario goes on
            self.mirrors.pop(number).end()

    def release(self) -> list[asyncio.Task]:
        """The run is over: the stand-ins end, what they told is forgotten, and the calls still
        running are cancelled (as the probes record). Returns the tasks to wait for."""
        stand_ins = [mirror.task for mirror in self.mirrors.values()]
        for mirror in self.mirrors.values():
            mirror.end()
        for task in [*stand_ins, *([self.caller] if self.caller else [])]:
            learner_tasks.told.pop(task, None)
        for task in self.calls.values():
            task.cancel()
        return [*self.calls.values(), *stand_ins]

    def _report(self, message: dict) -> dict:
        report: dict[str, Any] = {
            "unawaited": {str(k)[:100]: _count(v) for k, v in message["unawaited"].items()},
        }
        if "leaked" in message:
            report["leaked"] = [name[:200] for name in message["leaked"] if type(name) is str][:100]
        for key in ("value", "error", "not_awaitable"):
            if key in message:
                report[key] = self.codec.decode(message[key])
        if "error" in report and not isinstance(report["error"], BaseException):
            raise wire.ProtocolError("an error that is not an exception")
        if "blocking" in message:
            report["blocking"] = [(str(w)[:200], _location(at), _time(t)) for w, at, t in message["blocking"][:20]]
            report["held_loop"] = [(_time(r), _time(c), _location(at), _time(t)) for r, c, at, t in message["held"][:20]]
            report["busy"] = message["busy"] is True
            report["loop_errors"] = [str(e)[:500] for e in message["loop_errors"][:20]]
            report["unretrieved"] = [self.codec.decode(e) for e in message["unretrieved"][:5]]
            if not all(isinstance(e, BaseException) for e in report["unretrieved"]):
                raise wire.ProtocolError("an unretrieved error that is not an exception")
        return report

    async def _serve(self, ident: int, target: Callable[..., Any], args: list) -> None:
        """Run one call of a judge callable here, on the judge's loop, and queue its answer."""
        self.begun.add(ident)
        try:
            value = target(*args)
            if inspect.isawaitable(value):
                value = await value
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError) and asyncio.current_task().cancelling():
                raise  # the learner cancelled the call (or the run ended)
            op, key, value = "error", "error", error
        else:
            op, key = "result", "value"
        finally:
            self.calls.pop(ident, None)
            self.begun.discard(ident)
        try:
            self.outbox.append({"op": op, "id": ident, key: self.codec.encode(value)})
        except TypeError as error:  # what the learner sent came back too deep (or a check's value cannot go)
            self._broke(error)

    def _set(self, **report: Any) -> None:
        for key, value in report.items():
            setattr(self.outcome, key, value)

    def _settle(self, **report: Any) -> None:
        """The function's outcome is known: ``report``, at this loop time."""
        if self.done.done():
            return
        self._set(**report)
        self.outcome.loop_time = self.loop.time()
        self.done.set_result(self.outcome)
        if self.answer is not None and not self.answer.done():  # the scenario wakes one step from now
            self.answer.set_result(self.outcome)

    def _close(self) -> None:
        if self.closed.done():
            return
        self.loop.remove_reader(self.sock.fileno())
        self.closed.set_result(None)

    def _stop(self, **report: Any) -> None:
        """The judge stops the learner (``hung``, ``held``, ``busy``, ``ended_early``): a verdict until
        "end" is sent, and after it only a held loop is one. A hang before the function's outcome only
        settles it: the learner, idle, can still clean up."""
        if self.closed.done():
            return
        hang_first = report.get("hung") and not self.ending and not self.done.done()
        if not self.ending or "held" in report:
            self._set(**report)
        self._settle()
        if not hang_first:
            self._close()


def _int(value: Any) -> int:
    if type(value) is not int:
        raise wire.ProtocolError("an integer was expected")
    return value


def _tell(task: asyncio.Task, wait: Any) -> None:
    """``task`` waits where the learner's process said (``[method, kind, key, unfinished]``), or nowhere."""
    if wait is None:
        learner_tasks.told.pop(task, None)
        return
    method, kind, key, unfinished = wait
    name = learner_tasks.task_name(task)
    learner_tasks.told[task] = learner_tasks.Wait(name, _str(method), _str(kind), _int(key), _int(unfinished))


def _count(value: Any) -> int:
    if _int(value) < 0:
        raise wire.ProtocolError("a count below 0")
    return value


def _str(value: Any) -> str:
    if type(value) is not str:
        raise wire.ProtocolError("a string was expected")
    return value[:200]


def _location(value: Any) -> tuple[str, int, str] | None:
    if value is None:
        return None
    file, line, function = value
    return wire._str(file)[:500], _int(line), wire._str(function)[:200]


def _time(value: Any) -> float:
    try:
        time = float(value) if type(value) in (int, float) else math.nan
    except OverflowError:  # an int past any float
        time = math.inf
    if not math.isfinite(time):
        raise wire.ProtocolError("a time was expected")
    return time


def _play(loop: asyncio.AbstractEventLoop, judge: Judge, run: dict, scenario: Callable, limit: float) -> Outcome:
    """Run the check's scenario here; its ``function(*args, **kwargs)`` runs the learner's function there."""

    async def function(*args: Any, **kwargs: Any) -> Any:
        judge.outbox.append({**run, "args": judge.codec.encode(list(args)), "kwargs": judge.codec.encode(kwargs)})
        judge.answer, judge.caller = loop.create_future(), asyncio.current_task()
        try:
            outcome = await judge.answer
        except asyncio.CancelledError as cancel:  # the scenario cancelled the call: so is the learner's run
            if not judge.done.done():
                message = cancel.args[0] if cancel.args and type(cancel.args[0]) is str else None
                judge.outbox.append({"op": "cancel_run", "msg": message})
                await judge.done
            outcome = judge.outcome
            if isinstance(outcome.error, asyncio.CancelledError):
                raise
            asyncio.current_task().uncancel()  # it swallowed the cancellation: the call ends as it ended
            if outcome.error is not None:
                raise outcome.error from None
            return outcome.value
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    task = loop.create_task(scenario(function))
    loop.run_until_complete(asyncio.wait({task, judge.done}, return_when=asyncio.FIRST_COMPLETED))
    if not task.done() and not judge.stopped:  # the learner returned: the scenario finishes, within the limit
        loop.run_until_complete(asyncio.wait({task}, timeout=max(0.0, limit - loop.time())))
    loop_time, stopped = loop.time(), judge.stopped
    if not task.done():
        task.cancel()
        loop.run_until_complete(asyncio.wait({task}))
        judge.outcome.hung = judge.outcome.hung or not stopped
    judge.end()
    loop.run_until_complete(judge.closed)
    outcome = judge.outcome
    outcome.value = outcome.error = None
    if task.cancelled():
        outcome.error = outcome.error if stopped else asyncio.CancelledError()
    elif task.exception() is not None:
        outcome.error = task.exception()
    else:
        outcome.value = task.result()
    if judge.leaked_at_end is not None:
        outcome.leaked = judge.leaked_at_end
    outcome.loop_time = loop_time
    return outcome


def _exit_status(code: int) -> str:
    """``exit code 3``, or ``killed by SIGSEGV`` for a negative code."""
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


class StandIn:
    """A task of the judge's loop for one of the learner's tasks. A cancellation leaves it waiting
    and cancelling, as the learner's task may go on after one; it ends when told (``end``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str, task_name: str) -> None:
        self.ended = self.cancelled = False
        self.waiter = loop.create_future()
        coroutine = self._wait()
        coroutine.__qualname__ = name
        self.task = loop.create_task(coroutine, name=task_name)

    def cancel(self) -> None:
        """Its task was cancelled there: once, after the stand-in's first step (so it goes on waiting)."""
        if not self.cancelled:
            self.cancelled = True
            self.task.get_loop().call_soon(self.task.cancel)

    async def _wait(self) -> None:
        while not self.ended:
            try:
                await self.waiter  # set directly: the task ends one step after ``end``
            except asyncio.CancelledError:
                self.waiter = asyncio.get_running_loop().create_future()

    def end(self) -> None:
        self.ended = True
        if not self.waiter.done():
            self.waiter.set_result(None)


def undumpable() -> None:
    """Linux: no process of our uid may ptrace the judge or read its memory (/proc/<pid>/mem)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def run_remote(
    module_path: str | Path,
    function_name: str,
    args: tuple | list,
    limit: float = LOOP_LIMIT,
    *,
    held_limit: float = HELD_LIMIT,
    rounds: int = ROUNDS,
    server: Any = None,
    budget: int | None = None,
    kind_only: bool = False,
    scenario: Callable[[Callable[..., Any]], Any] | None = None,
) -> Outcome:
    """Call ``function_name(*args)`` of the module at ``module_path`` in a child process.

    Callables in ``args`` (probes) stay here and run on this process's looptime loop when the
    learner calls them. ``limit`` is in seconds of loop time, ``held_limit`` in real seconds.
    With ``server`` (a ``forkserver.ForkServer``) the child is forked from it, else started.
    With ``budget`` (loop callbacks) the kit's guards run in the child and report what they saw.
    With ``kind_only`` nothing runs: the value is what the function is ("coroutine function"...).
    With ``scenario`` (an ``async def scenario(function)`` of the check's, run on this loop) the
    learner's function is called when the scenario calls ``function(*args, **kwargs)`` (once; cancelling
    that call cancels the learner's run), and the outcome's value or error is the scenario's.
    """
    undumpable()
    loop = looptime.new_event_loop()
    token = current_loop.set(loop)
    ours, theirs = socket.socketpair()
    log = open(os.devnull, "wb")  # what the learner prints is not read (nor stored, however much)
    start = time.perf_counter()
    if server is not None:
        child = server.fork(theirs, log.fileno())
    else:
        child = subprocess.Popen(
            [sys.executable, "-I", str(LEARNER_SIDE), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    theirs.close()
    ours.settimeout(held_limit)  # a send the learner never reads fails instead of waiting for ever
    try:
        judge = Judge(loop, ours, limit=limit, held_limit=held_limit, rounds=rounds)
        path = str(Path(module_path).resolve())
        run = {"op": "run", "path": path, "function": function_name}
        if budget is not None:
            run["budget"] = budget
        if kind_only:
            run["kind_only"] = True
        if scenario is None:
            judge.outbox.append({**run, "args": judge.codec.encode(list(args))})
            outcome = loop.run_until_complete(judge.done)
            judge.end()
            loop.run_until_complete(judge.closed)
        else:
            outcome = _play(loop, judge, run, scenario, limit)
        ended = outcome.ended_early == ENDED  # by itself (not for breaking the protocol)
        if ended:  # let it finish exiting, for its exit code
            try:
                child.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
        child.kill()
        code = child.wait()
        if ended:  # what it printed is never quoted: the learner's text, not the judge's
            outcome.exit_status = _exit_status(code)
            outcome.ended_early += f" ({outcome.exit_status})"
        running = judge.release()
        if running:
            loop.run_until_complete(asyncio.wait(running))
    finally:
        child.kill()
        child.wait()
        loop.close()
        ours.close()
        log.close()
        current_loop.reset(token)
    outcome.real_time = time.perf_counter() - start
    return outcome
