"""Runtime blocking detection: blockbuster for blocking calls, a watchdog for held loops.

Both record what they saw, so a learner who swallows the error with
``except Exception`` is still caught.
"""

from __future__ import annotations

import _thread
import asyncio
import ctypes
import linecache
import os
import resource
import sys
import time
import types
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

HELD_CPU = 0.05  # a callback that computes this long (thread CPU time) held the loop
HELD_WAIT = 0.5  # ... or that slept this long in the kernel (real time, voluntary switch)
# Writes a logging handler makes (pytest's own handlers write to a file): not reported as blocking.
LOGGING_WRITES = ("io.TextIOWrapper.write", "io.BufferedWriter.write", "io.BufferedRandom.write", "os.write")


@dataclass(frozen=True)
class Location:
    """A line of learner code."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        text = linecache.getline(self.file, self.line).strip()
        where = f"{Path(self.file).name}:{self.line}"
        return f"{where} (`{text}`)" if text else where


@dataclass(frozen=True)
class BlockingCall:
    """A blocking function that learner code called while the loop ran."""

    what: str  # e.g. "time.sleep"
    where: Location | None
    at: float  # loop time since the run started


@dataclass(frozen=True)
class HeldLoop:
    """One loop callback that ran too long without yielding."""

    real: float
    cpu: float
    where: Location | None
    at: float  # loop time since the run started


def learner_location(frame: types.FrameType | None, files: frozenset[str]) -> Location | None:
    """The innermost frame of learner code on a stack, walking outwards from ``frame``."""
    while frame is not None:
        if frame.f_code.co_filename in files:
            return Location(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def _paused_location(task: asyncio.Task, files: frozenset[str]) -> Location | None:
    """Where a task's learner code paused (its innermost learner coroutine frame)."""
    found = None
    coro = task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None and frame.f_code.co_filename in files:
            found = Location(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return found


def _blocking_name(message: str, stack_frame: types.FrameType | None) -> str:
    """Turn blockbuster's "Blocking call to <func>" into a name a learner knows."""
    name = message.removeprefix("Blocking call to ").strip()
    modules = set()
    frame = stack_frame
    while frame is not None:
        modules.add(frame.f_globals.get("__name__", "").split(".")[0])
        frame = frame.f_back
    for library in ("requests", "urllib3", "httpx", "subprocess"):
        if library in modules:
            return f"{library} (blocking {name})"
    return name.replace("<built-in function ", "").rstrip(">")


class Recorder:
    """Collects blocking calls and held-loop events for one run of learner code."""

    def __init__(self, files: frozenset[str], clock: Callable[[], float]) -> None:
        self.files = files
        self.clock = clock  # loop time since the run started
        self.calls: list[BlockingCall] = []
        self.held: list[HeldLoop] = []
        self.rewound = False  # the loop's clock went back: learner code set it

    def record_call(self, message: str) -> None:
        frame = sys._getframe(2)
        self.calls.append(BlockingCall(_blocking_name(message, frame), learner_location(frame, self.files), self.clock()))

    def record_held(self, real: float, cpu: float, task: object) -> None:
        where = _paused_location(task, self.files) if isinstance(task, asyncio.Task) else None
        self.held.append(HeldLoop(real, cpu, where, self.clock()))


def _thread_clock() -> tuple[float, int]:
    """(CPU seconds of this thread, voluntary context switches of this thread)."""
    if hasattr(resource, "RUSAGE_THREAD"):
        usage = resource.getrusage(resource.RUSAGE_THREAD)
        return usage.ru_utime + usage.ru_stime, usage.ru_nvcsw
    return time.thread_time(), 0


class BudgetExceeded(BaseException):
    """The loop ran more callbacks than any correct solution needs (a busy wait)."""


@contextmanager
def watch_loop(loop: asyncio.AbstractEventLoop, recorder: Recorder, budget: list[int]) -> Iterator[None]:
    """Time every callback of ``loop``; count them against ``budget`` (a one-item list); note a
    clock that went back between two callbacks.

    A callback whose thread CPU time passes HELD_CPU, or that waited HELD_WAIT in a
    voluntary sleep, held the loop. Comparing CPU time with real time keeps a callback
    that the OS merely preempted on a loaded machine from counting.
    """
    original = asyncio.events.Handle._run
    latest = [loop.time()]

    def timed_run(handle: asyncio.Handle) -> None:
        if handle._loop is not loop:
            original(handle)
            return
        now = loop.time()
        if now < latest[0]:
            recorder.rewound = True
        latest[0] = now
        cpu0, switches0 = _thread_clock()
        real0 = time.perf_counter()
        try:
            original(handle)
        finally:
            real = time.perf_counter() - real0
            if real >= HELD_CPU:
                cpu1, switches1 = _thread_clock()
                cpu = cpu1 - cpu0
                if cpu >= HELD_CPU or (real >= HELD_WAIT and switches1 > switches0):
                    task = getattr(handle._callback, "__self__", None)
                    recorder.record_held(real, cpu, task)
        budget[0] -= 1
        if budget[0] < 0:  # raised after the callback ran, so no task loses its step
            raise BudgetExceeded

    asyncio.events.Handle._run = timed_run
    try:
        yield
    finally:
        asyncio.events.Handle._run = original


@contextmanager
def guard_calls(recorder: Recorder) -> Iterator[None]:
    """Activate blockbuster for the learner's files, recording every detection."""
    import blockbuster.blockbuster as bb

    class RecordedBlockingError(bb.BlockingError):
        def __init__(self, func: str) -> None:
            super().__init__(func)
            recorder.record_call(str(self))

    scanned = [types.ModuleType(f"learner{i}") for i, _ in enumerate(recorder.files)]
    for module, path in zip(scanned, sorted(recorder.files)):
        module.__file__ = path
    original_error = bb.BlockingError
    buster = bb.BlockBuster(scanned or None)
    for name in LOGGING_WRITES:  # logging.info() from a coroutine is everyday code, not a lesson here
        if name in buster.functions:
            buster.functions[name].can_block_in(os.path.join("logging", "__init__.py"), {"emit", "flush"})
            # the time limit writes its stack dump on top of the learner's frames (a busy loop under load)
            buster.functions[name].can_block_in("pytest_timeout.py", {"timeout_sigalrm", "dump_stacks"})
    bb.BlockingError = RecordedBlockingError
    buster.activate()
    try:
        yield
    finally:
        buster.deactivate()
        bb.BlockingError = original_error


class ThreadLockInLoop(RuntimeError):
    """A threading.Lock that was already held was entered in the event loop's thread."""


def _set_type_attribute(kind: type, name: str, value: Any) -> None:
    from forbiddenfruit import patchable_builtin  # installed with blockbuster

    patchable_builtin(kind)[name] = value
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(kind))


@contextmanager
def thread_locks_watched(files: frozenset[str]) -> Iterator[list[Location]]:
    """While learner code runs, its `with lock:` on a threading.Lock that another task holds
    raises ThreadLockInLoop (recorded, even if swallowed) instead of blocking the loop's
    thread forever: the holder could only release it once the loop runs again."""
    found: list[Location] = []
    original = _thread.LockType.__dict__["__enter__"]

    def enter(lock):
        caller = sys._getframe(1)
        if (
            caller.f_code.co_filename in files
            and asyncio._get_running_loop() is not None
        ):
            if lock.acquire(False):
                return True
            found.append(learner_location(caller, files))
            raise ThreadLockInLoop("this threading.Lock is held by another task")
        return original(lock)

    _set_type_attribute(_thread.LockType, "__enter__", enter)
    try:
        yield found
    finally:
        _set_type_attribute(_thread.LockType, "__enter__", original)
