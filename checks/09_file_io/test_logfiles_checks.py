"""Hidden checks of exercise 09: read_all, copy_matching and write_all, on real files.

Each check writes its files under pytest's tmp_path and runs the learner's coroutine on
the harness's guarded virtual-time loop. Three recorders decide the verdicts:

- ``watch_files``: the built-in open() called on the event loop's thread (with a line of
  the learner's on the stack), and aiofiles method calls (``f.read()``, ``f.write()``)
  whose coroutine was never awaited, each with the learner's line.
- ``SlowDisk``: every call sent to a thread pool (each aiofiles open, read, write and close,
  each ``asyncio.to_thread``) takes 1 s of loop time, like a slow disk. Reading one file then
  takes a fixed time T; N files read together take T too, N files one after another N * T.
  Comparing the two is exact and holds for any number of operations per file.
- ``tracemalloc``: the most memory held at once while copy_matching streams a 4 MB file.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import gc
import inspect
import io
import linecache
import os
import random
import re
import sys
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiofiles.threadpool.binary import (
    AsyncBufferedIOBase,
    AsyncBufferedReader,
    AsyncFileIO,
)
from aiofiles.threadpool.text import AsyncTextIOWrapper

from grader import expect
from grader.blocking import Location, learner_location
from grader.failure import CheckFailed
from grader.learner import Call, error_text, short
from grader.timeline import Span, render

EXACT = expect.EXACT
DISK = 1.0  # s of loop time per thread-pool operation under SlowDisk

AIOFILES = (
    "Use aiofiles: `async with aiofiles.open(path) as f:`, then `await f.read()`, `async for line in f:` "
    "or `await f.write(text)`. Each of those runs in a worker thread while the event loop goes on."
)
AWAIT_IT = (
    "Every method of an aiofiles file (read, readline, write, close) is a coroutine function: calling it "
    "only creates a coroutine object, and nothing happens until you await it: `text = await f.read()`, "
    "`await f.write(text)`."
)
READ_TOGETHER = (
    "Start reading every file before you wait for any: `return await asyncio.gather(*(read_text(path) "
    "for path in paths))`, where `async def read_text(path)` opens and reads one file with aiofiles."
)
WRITE_TOGETHER = (
    "Start writing every file before you wait for any: `await asyncio.gather(*(write_text(path, text) "
    "for path, text in texts.items()))`, where `async def write_text(path, text)` writes one file."
)
STREAM = (
    "Handle one line at a time: `async for line in lines:` reads the next line only when you ask for it. "
    "Write each matching line as you go (`await out.write(line)`) instead of collecting them."
)


# --- files ---------------------------------------------------------------------------


def make_files(folder: Path, texts: dict[str, str]) -> list[Path]:
    """Write ``texts`` (name -> text) into ``folder``; return the paths, in the order given."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def text_of(path: Path) -> str | None:
    """The file's text as it is on disk now; None if it does not exist."""
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return None


def names(paths: list[Path]) -> str:
    return f"[{', '.join(p.name for p in paths)}]"


def size_text(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.0f} kB"


def clip(text: str, limit: int = 40) -> str:
    """A text's repr, cut to its first ``limit`` characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}…"


def sample(text: str | None, limit: int = 40) -> str:
    if text is None:
        return "nothing (the file does not exist)"
    if not text:
        return "nothing (the file is empty)"
    return clip(text, limit) if len(text) <= limit else f"{clip(text, limit)} ({len(text):,} characters)"


# --- what the learner did to files ---------------------------------------------------


@dataclass
class Opened:
    """A built-in open() (or Path.open / read_text / write_text) on the event loop's thread."""

    file: str
    where: Location


@dataclass
class Made:
    """An aiofiles method call, e.g. f.read(), and the coroutine it returned."""

    method: str
    coroutine: Any
    where: Location


@dataclass
class FileWatch:
    files: frozenset[str]
    opened: list[Opened] = field(default_factory=list)
    made: list[Made] = field(default_factory=list)

    def keep(self, made: Made) -> None:
        self.made.append(made)
        if len(self.made) > 32:  # keep only coroutines that might never run: streaming makes hundreds
            self.made = [m for m in self.made if inspect.getcoroutinestate(m.coroutine) == inspect.CORO_CREATED]

    def never_awaited(self) -> list[Made]:
        """aiofiles calls whose coroutine never started (closed here, so no warning follows)."""
        lost = [m for m in self.made if inspect.getcoroutinestate(m.coroutine) == inspect.CORO_CREATED]
        for made in lost:
            made.coroutine.close()
        self.made = []
        return lost

    def verdict(self, text: str) -> None:
        """Fail on a file opened on the loop, then on an aiofiles call never awaited."""
        lost = self.never_awaited()
        if self.opened:
            first = self.opened[0]
            how = "" if "open(" in source_line(first.where) else " (Path.read_text, write_text and open call it)"
            raise CheckFailed(
                f"Called {text}. It opened {first.file} with the built-in open(){how} on the event loop, at "
                f"{first.where}. open(), and every read and write on the file it returns, block the loop's one "
                "thread: every other coroutine waits meanwhile.",
                AIOFILES,
            )
        if lost:
            first = lost[0]
            what = (
                "nothing was read" if first.method.startswith("read")
                else "nothing was written" if first.method.startswith("write")
                else "that call never happened"
            )
            more = f" ({len(lost)} such calls in all)" if len(lost) > 1 else ""
            raise CheckFailed(
                f"Called {text}. It called `{first.method}(...)` on an aiofiles file at {first.where} but never "
                f"awaited it, so {what}{more}: a forgotten await.",
                AWAIT_IT,
            )


def source_line(location: Location) -> str:
    return linecache.getline(location.file, location.line).strip()


AIOFILES_CLASSES = (AsyncTextIOWrapper, AsyncBufferedIOBase, AsyncBufferedReader, AsyncFileIO)


@contextmanager
def watch_files(files: frozenset[str]) -> Iterator[FileWatch]:
    """Record built-in open() calls made on a running loop's thread from learner code, and
    every aiofiles method call made from learner code (to find the ones never awaited)."""
    watch = FileWatch(files)
    original_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if asyncio._get_running_loop() is not None:  # per thread: worker threads have none
            where = learner_location(sys._getframe(1), files)
            if where is not None:
                name = Path(file).name if isinstance(file, (str, os.PathLike)) else repr(file)
                watch.opened.append(Opened(name, where))
        return original_open(file, *args, **kwargs)

    def recording(method_name: str, method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            coroutine = method(self, *args, **kwargs)
            where = learner_location(sys._getframe(1), files)
            if where is not None:
                watch.keep(Made(method_name, coroutine, where))
            return coroutine

        return call

    patched = []
    for cls in AIOFILES_CLASSES:
        for attr, method in list(vars(cls).items()):
            if not attr.startswith("_") and inspect.iscoroutinefunction(method):
                setattr(cls, attr, recording(attr, method))
                patched.append((cls, attr, method))
    builtins.open = io.open = guarded_open
    try:
        yield watch
    finally:
        builtins.open = io.open = original_open
        for cls, attr, method in patched:
            setattr(cls, attr, method)


# --- a slow disk: thread-pool work takes loop time ----------------------------------


@dataclass
class DiskOp:
    file: str  # the check's file it touched (its name), or "(other)"
    start: float
    end: float | None = None


class SlowDisk:
    """Makes every ``loop.run_in_executor`` call (each aiofiles open, read, write and close,
    each ``asyncio.to_thread``) take ``delay`` s of loop time, and records which of the
    check's files each one touched. The work itself still runs in the thread pool."""

    name = "disk"

    def __init__(self, files: list[Path], delay: float = DISK) -> None:
        self.delay = delay
        self.known = {p.name for p in files}  # the check's files have distinct names
        self.ops: list[DiskOp] = []

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        original = loop.run_in_executor

        def run_in_executor(executor, func, *args):
            inner = original(executor, func, *args)
            op = DiskOp(self._file_of(func, args), loop.time())
            self.ops.append(op)
            outer = loop.create_future()
            due = [False]

            def settle(*_: Any) -> None:
                if outer.done() or not (due[0] and inner.done()):
                    return
                if inner.cancelled():
                    outer.cancel()
                elif inner.exception() is not None:
                    outer.set_exception(inner.exception())
                else:
                    outer.set_result(inner.result())

            def on_due() -> None:
                due[0] = True
                settle()

            timer = loop.call_at(op.start + self.delay, on_due)
            inner.add_done_callback(settle)

            def on_done(_: Any) -> None:
                op.end = loop.time()
                if outer.cancelled():
                    timer.cancel()
                    inner.cancel()

            outer.add_done_callback(on_done)
            return outer

        loop.run_in_executor = run_in_executor  # type: ignore[method-assign]

    def _file_of(self, func: Any, args: tuple) -> str:
        # Pure string work only: this runs on the loop, where blockbuster flags even os.path.abspath.
        for candidate in _paths_in((func, *args)):
            name = os.path.basename(candidate)
            if name in self.known:
                return name
        return "(other)"

    def spans(self) -> list[Span]:
        """One row per file: from its first operation's start to its last one's end."""
        rows: dict[str, list[DiskOp]] = {}
        for op in self.ops:
            rows.setdefault(op.file, []).append(op)
        spans = []
        for file, ops in rows.items():
            ends = [op.end for op in ops]
            end = None if None in ends else max(ends)
            spans.append(Span(file, min(op.start for op in ops), end, "running" if end is None else "finish"))
        return spans

    def files_at_once(self) -> int:
        """The most files being worked on at one moment (a file: its first to its last operation)."""
        spans = [span for span in self.spans() if span.label != "(other)"]
        return max((sum(1 for o in spans if o.start <= s.start and (o.end is None or s.start < o.end)) for s in spans), default=0)

    def never_awaited(self) -> int:
        return 0


def _paths_in(value: Any, depth: int = 0) -> Iterator[str]:
    """File paths reachable from an executor job: partial arguments, bound files and paths."""
    if depth > 4:
        return
    if isinstance(value, (str, os.PathLike)):
        yield os.fspath(value)
    elif isinstance(value, tuple):
        for item in value:
            yield from _paths_in(item, depth + 1)
    elif isinstance(value, functools.partial):
        yield from _paths_in((value.func, *value.args, *value.keywords.values()), depth + 1)
    elif isinstance(value, io.IOBase):
        name = getattr(value, "name", None)
        if isinstance(name, str):
            yield name
    elif getattr(value, "__self__", None) is not None:  # a bound method: of a file, a Path
        yield from _paths_in(value.__self__, depth + 1)


# --- running the learner's coroutines -------------------------------------------------


@dataclass
class Outcome:
    call: Call
    value: Any
    outputs: dict[Path, str | None]  # each output file's text at the moment the function returned
    peak: int  # bytes held at most while it ran (only when memory was traced)
    left_open: list[str] = field(default_factory=list)  # files not closed when it returned


def run_files(
    learner,
    name: str,
    *args: Any,
    text: str,
    disk: SlowDisk | None = None,
    outputs: tuple[Path, ...] = (),
    trace_memory: bool = False,
) -> Outcome:
    """Run ``name(*args)`` on the guarded loop and judge what every file check needs first:
    a built-in open() on the loop, a forgotten await on an aiofiles call, a known error, tasks
    left running. ``outputs`` are read the moment the function returns."""
    seen: dict[str, Any] = {"peak": 0}

    async def scenario(function):
        if disk is not None:
            disk.install(asyncio.get_running_loop())
        tracing = trace_memory and not tracemalloc.is_tracing()
        if tracing:
            tracemalloc.start()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ResourceWarning)
                value = await function(*args)
                still_open = open_files_under(roots)
                # a file left open is flushed and closed when Python collects it, whenever that is:
                # collect now, so what the outputs hold does not depend on the garbage collector's
                # timing (the file left open is its own check's verdict, from still_open and the warnings)
                gc.collect()
            seen["left_open"] = sorted({*still_open, *unclosed(caught)})
        finally:
            if tracing:
                seen["peak"] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        seen["outputs"] = {path: text_of(path) for path in outputs}
        return value

    roots = {str(Path(a).parent) for a in args if isinstance(a, (str, Path))} | {
        str(Path(p).parent) for a in args if isinstance(a, (list, dict)) for p in a if isinstance(p, (str, Path))
    }

    with watch_files(learner.files) as watch:
        try:
            call = learner.run_scenario(name, scenario, text=text, probes=(disk,) if disk else ())
        except CheckFailed:
            watch.verdict(text)  # the line that opened a file on the loop says more than what followed
            raise
        finally:
            if trace_memory and tracemalloc.is_tracing():
                tracemalloc.stop()
    watch.verdict(text)
    explain_error(call)
    if call.run.leaked:
        counted = Counter(call.run.leaked)
        running = ", ".join(task if n == 1 else f"{n} × {task}" for task, n in counted.items())
        raise CheckFailed(
            f"Called {text}. It returned while {len(call.run.leaked)} task(s) it started were still running "
            f"({running}): the work on the files was not done when {name} returned.",
            "Await every task you create before you return: asyncio.gather(...) or an asyncio.TaskGroup waits for all.",
        )
    return Outcome(call, call.run.value, seen.get("outputs", {}), seen["peak"], seen.get("left_open", []))


def open_files_under(roots: set[str]) -> list[str]:
    """Names of the files under ``roots`` this process still has open."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if any(target.startswith(root + os.sep) for root in roots):
            found.append(Path(target).name)
    return found


def unclosed(caught: list[warnings.WarningMessage]) -> list[str]:
    """Names of the files Python closed for the learner (an 'unclosed file' ResourceWarning)."""
    names = []
    for warning in caught:
        match = re.search(r"unclosed file .*name='([^']+)'", str(warning.message))
        if issubclass(warning.category, ResourceWarning) and match:
            names.append(Path(match.group(1)).name)
    return names


def judge_closed(outcome: Outcome, text: str) -> None:
    if outcome.left_open:
        raise CheckFailed(
            f"Called {text}. When it returned, it had left {', '.join(outcome.left_open)} open: nothing closed "
            "the file, so it stays open (holding its unwritten data and a file descriptor) until Python "
            "happens to collect it.",
            "Open files with `async with aiofiles.open(path) as file:`: the file is closed when the block "
            "ends, even when it raises.",
        )


# (exception type, pattern of its message, what it means): the usual aiofiles mistakes.
MISTAKES = (
    (
        TypeError,
        r"does not support the context manager protocol",
        "aiofiles.open(...) is an async context manager: `async with aiofiles.open(path) as f:`, not `with`.",
    ),
    (
        TypeError,
        r"does not support the asynchronous context manager protocol",
        "`async with` needs aiofiles.open(...); the built-in open() is a plain, blocking context manager.",
    ),
    (
        TypeError,
        r"^'Async\w+' object is not iterable",  # 'AsyncTextIOWrapper', 'AsyncBufferedReader'
        "An aiofiles file is read line by line with `async for line in f:`: a plain `for` cannot wait.",
    ),
    (
        AttributeError,
        r"^'AiofilesContextManager' object has no attribute",
        "aiofiles.open(...) gives the file only once awaited: `async with aiofiles.open(path) as f:`.",
    ),
    (
        BaseException,
        r"coroutine",
        "A coroutine object was used as if it were its result: a forgotten await. " + AWAIT_IT,
    ),
)


def explain_error(call: Call) -> None:
    error = call.run.error
    if error is None:
        return
    for kind, pattern, meaning in MISTAKES:
        if isinstance(error, kind) and re.search(pattern, str(error)):
            raise CheckFailed(f"Called {call.text}. It raised {error_text(error)} at {call.where(error)}.", meaning)
    call.result()  # the harness's own message: what was raised, at which line


def expect_list(outcome: Outcome, expected: list[str], paths: list[Path]) -> None:
    got, text = outcome.value, outcome.call.text
    if isinstance(got, (list, tuple)) and any(inspect.iscoroutine(v) for v in got):
        raise CheckFailed(
            f"Called {text}. It returned coroutine objects instead of the files' texts: a forgotten await.",
            "Await each read (`await f.read()`, `await asyncio.to_thread(...)`), and gather the reads of all files.",
        )
    if type(got) is not list:
        raise CheckFailed(
            f"Called {text}. It returned {short(got)} ({type(got).__name__}); expected a list of the files' texts, "
            "in the order of paths."
        )
    if expect.same(got, expected):
        return
    if any(isinstance(v, bytes) for v in got):
        raise CheckFailed(
            f"Called {text}. It returned bytes ({sample(next(v for v in got if isinstance(v, bytes)))}) instead of text.",
            'Open the files in text mode (aiofiles.open(path), no "b" in the mode), or decode what you read.',
        )
    if len(got) == len(expected) and all(type(v) is str for v in got) and sorted(got) == sorted(expected):
        order = [paths[expected.index(t)].name for t in got]
        shown = ", ".join(order) if len(order) <= 6 else ", ".join(order[:5]) + f", … ({len(order)} files)"
        raise CheckFailed(
            f"Called {text}. It returned the right texts in the wrong order: those of {shown}. "
            "Expected them in the order of paths.",
            "asyncio.gather returns its results in the order you pass the awaitables, whenever each finishes.",
        )
    for path, want, have in zip(paths, expected, got):
        if not expect.same(have, want):
            raise CheckFailed(f"Called {text}. For {path.name} it returned {sample(have)}; the file holds {sample(want)}.")
    raise CheckFailed(f"Called {text}. It returned {len(got)} texts for {len(expected)} files.")


def judge_together(
    outcome: Outcome, disk: SlowDisk, one: Outcome, count: int, what: str, advice: str
) -> None:
    """N files in the time of one: the slow disk makes each worker-thread operation take 1 s."""
    alone, took = one.call.loop_time, outcome.call.loop_time
    if alone <= EXACT:
        raise CheckFailed(
            f"Called {one.call.text}. No file operation went to a worker thread (aiofiles, asyncio.to_thread): "
            "the file was handled on the event loop itself, which blocks it.",
            AIOFILES,
        )
    if abs(took - alone) <= EXACT:
        return
    slow = (
        f"In this check every file operation sent to a worker thread (each aiofiles open, read, write and close) "
        f"takes {DISK:g} s of loop time, like a slow disk. So"
    )
    expected = [Span(span.label, 0.0, alone) for span in disk.spans() if span.label != "(other)"]
    picture = render(disk.spans(), expected, expected_title=f"Expected: all {count} files at once, {alone:g} s")
    if abs(took - count * alone) <= EXACT:
        raise CheckFailed(
            f"Called {outcome.call.text}. {slow} {what} one file took {alone:g} s, and {what} {count} files took "
            f"{took:g} s: one after another. Together, {count} files take as long as one: {alone:g} s.",
            advice,
            picture,
        )
    raise CheckFailed(
        f"Called {outcome.call.text}. {slow} {what} one file took {alone:g} s, and {what} {count} files took "
        f"{took:g} s, with at most {disk.files_at_once()} files at once. All at the same time, they take "
        f"{alone:g} s, as long as one file.",
        advice,
        picture,
    )


# --- read_all --------------------------------------------------------------------------

FRUIT = {
    "kiwi.log": "kiwi picked\nkiwi washed\nkiwi packed\n",
    "fig.log": "",
    "pear.log": "".join(f"pear {n}: ripe\n" for n in range(300)) + "pear: last line, no newline",
    "apple.log": "apple\n",
}


def same_shape(count: int, start: int = 1) -> dict[str, str]:
    """Files of the same size and line count (so each takes the same operations), not in name order."""
    numbers = [start + (n * 7) % count for n in range(count)]
    return {f"day-{n:02d}.log": f"day {n:02d}: opened\nday {n:02d}: counted\nday {n:02d}: closed\n" for n in numbers}


@pytest.mark.points(1)
def test_read_all_returns_each_files_text(learner, tmp_path):
    """read_all returns the text of every file, in the order of paths"""
    paths = make_files(tmp_path, FRUIT)
    outcome = run_files(learner, "read_all", paths, text=f"read_all({names(paths)})")
    expect_list(outcome, list(FRUIT.values()), paths)


@pytest.mark.points(2)
def test_read_all_reads_files_together(learner, tmp_path):
    """read_all reads 5 files at the same time: in the time it takes to read one"""
    paths = make_files(tmp_path, same_shape(5))
    disk = SlowDisk(paths)
    outcome = run_files(learner, "read_all", paths, text=f"read_all({names(paths)})", disk=disk)
    expect_list(outcome, [p.read_text() for p in paths], paths)
    one = run_files(learner, "read_all", paths[:1], text=f"read_all({names(paths[:1])})", disk=SlowDisk(paths[:1]))
    expect_list(one, [paths[0].read_text()], paths[:1])
    judge_together(outcome, disk, one, len(paths), "reading", READ_TOGETHER)


@pytest.mark.points(1)
def test_read_all_handles_many_files(learner, tmp_path):
    """read_all reads 40 files together, and returns [] for no files"""
    paths = make_files(tmp_path, same_shape(40, start=10))
    disk = SlowDisk(paths)
    outcome = run_files(learner, "read_all", paths, text=f"read_all([{paths[0].name}, … 40 files])", disk=disk)
    expect_list(outcome, [p.read_text() for p in paths], paths)
    one = run_files(learner, "read_all", paths[:1], text=f"read_all({names(paths[:1])})", disk=SlowDisk(paths[:1]))
    judge_together(outcome, disk, one, len(paths), "reading", READ_TOGETHER)
    empty = run_files(learner, "read_all", [], text="read_all([])")
    expect_list(empty, [], [])


# --- copy_matching ---------------------------------------------------------------------

SMALL_LOG = (
    "08:00 INFO service started\n"
    "08:01 ERROR disk full on /var\n"
    "08:02 WARN retrying\n"
    "08:03 error budget at 80% (lower case: not a match)\n"
    "08:04 ERROR disk full on /home\n"
    "08:05 INFO ERRORS so far: 2\n"
    "    ERROR detail: /home at 100%  \n"  # spaces at both ends: copied as they are
    "08:06 INFO done\n"
    "08:07 ERROR shutting down"  # the last line has no newline, and none is added
)
SMALL_MATCHES = [line for line in SMALL_LOG.splitlines(keepends=True) if "ERROR" in line]


def judge_copy(outcome: Outcome, target: Path, expected_lines: list[str], stale: str | None = None) -> None:
    text = outcome.call.text
    value = outcome.value
    wanted = "".join(expected_lines)
    got = outcome.outputs.get(target)
    if got is None:
        raise CheckFailed(f"Called {text}. When it returned, {target.name} did not exist: create it with mode \"w\".")
    if got != wanted:
        got_lines = got.splitlines(keepends=True)
        if stale and got.startswith(stale):
            raise CheckFailed(
                f"Called {text}, where {target.name} already held {sample(stale)}. "
                "When it returned, the file still began with that old text: it was added to, not replaced.",
                "Open the target with mode \"w\", which empties the file first (\"a\" appends to what is there).",
            )
        if [line.strip() for line in got_lines] == [line.strip() for line in expected_lines]:
            raise CheckFailed(
                f"Called {text}. {target.name} held the right lines, but with their spaces or line endings "
                f"changed: {sample(got)}; expected {sample(wanted)} (a matching line may start or end with "
                "spaces, and the last line of a file may have no newline).",
                "`async for line in f` gives each line as it is in the file, with its newline if it has one: "
                "write it unchanged (no strip(), no added \"\\n\").",
            )
        missing = [line for line in expected_lines if line not in got_lines]
        extra = [line for line in got_lines if line not in expected_lines]
        parts = []
        if missing:
            parts.append(f"{len(missing)} matching line(s) missing, e.g. {clip(missing[0])}")
        if extra:
            parts.append(f"{len(extra)} line(s) that should not be there, e.g. {clip(extra[0])}")
        detail = "; ".join(parts) or "the lines in another order"
        raise CheckFailed(
            f"Called {text}. When it returned, {target.name} held {sample(got)}: {detail}. Expected exactly the "
            f"{len(expected_lines)} lines that contain the word, in order, each with its newline.",
            "A line matches when `word in line` (case matters). Write every matching line once, as it is.",
        )
    if type(value) is not int or value != len(expected_lines):
        raise CheckFailed(
            f"Called {text}. The target file is right, but it returned {short(value)}; expected the number of "
            f"lines copied: {len(expected_lines)}."
        )


@pytest.mark.points(2)
def test_copy_matching_copies_matching_lines(learner, tmp_path):
    """copy_matching writes exactly the lines containing the word, replaces an old target, returns the count"""
    (source,) = make_files(tmp_path, {"app.log": SMALL_LOG})
    target = tmp_path / "errors.log"
    stale = "stale line from yesterday's run\n" * 3
    target.write_text(stale)
    outcome = run_files(
        learner, "copy_matching", source, target, "ERROR",
        text="copy_matching(app.log, errors.log, 'ERROR')", outputs=(target,),
    )
    judge_copy(outcome, target, SMALL_MATCHES, stale)
    none = tmp_path / "fatal.log"
    outcome = run_files(
        learner, "copy_matching", source, none, "FATAL",
        text="copy_matching(app.log, fatal.log, 'FATAL')", outputs=(none,),
    )
    judge_copy(outcome, none, [])


def big_log() -> str:
    """About 4 MB in 200 long lines, most of them ERRORs: keeping the matching lines costs as much
    memory as reading the whole file. (The payload is hex: it never holds a capital letter.)"""
    rng = random.Random(9)
    levels = ["ERROR"] * 7 + ["INFO", "WARN", "DEBUG"]
    return "".join(
        f"2024-05-{n % 28 + 1:02d} {rng.choice(levels)} job={n} payload={rng.randbytes(rng.randint(8000, 12000)).hex()}\n"
        for n in range(200)
    )


@pytest.mark.points(2)
def test_copy_matching_streams_a_large_file(learner, tmp_path):
    """copy_matching streams a 4 MB file: it never holds more than a small part of it in memory"""
    text = big_log()
    (source,) = make_files(tmp_path, {"big.log": text})
    target = tmp_path / "errors.log"
    outcome = run_files(
        learner, "copy_matching", source, target, "ERROR",
        text="copy_matching(big.log, errors.log, 'ERROR')", outputs=(target,), trace_memory=True,
    )
    judge_copy(outcome, target, [line for line in text.splitlines(keepends=True) if "ERROR" in line])
    size = len(text)
    if outcome.peak > size / 2:
        raise CheckFailed(
            f"Called {outcome.call.text} on a {size_text(size)} file. It held up to {size_text(outcome.peak)} in "
            f"memory at once ({outcome.peak / size:.0%} of the file): it read the whole file, or kept its lines, "
            "instead of streaming it. A log can be larger than memory.",
            STREAM,
        )


# --- write_all ---------------------------------------------------------------------------

REPORTS = {
    "summary.txt": "3 errors, 2 warnings\n",
    "errors.txt": "08:01 disk full on /var\n08:04 disk full on /home\n08:09 timeout\n",
    "empty.txt": "",
    "notes.txt": "all fine",
}


def judge_written(outcome: Outcome, texts: dict[Path, str], stale: dict[Path, str]) -> None:
    text = outcome.call.text
    for path, wanted in texts.items():
        got = outcome.outputs.get(path)
        if got == wanted:
            continue
        if got is None:
            raise CheckFailed(f"Called {text}. When it returned, {path.name} did not exist: expected {sample(wanted)}.")
        old = stale.get(path)
        if old is not None and got in (old + wanted, wanted + old[len(wanted):]):  # mode "a", mode "r+"
            raise CheckFailed(
                f"Called {text}, where {path.name} already held {sample(old)}. When it returned it held "
                f"{sample(got)}: the old text was kept instead of replaced. Expected {sample(wanted)}.",
                "Open with mode \"w\": it empties the file first (\"a\" appends, \"r+\" overwrites only the start).",
            )
        if not got and wanted:
            raise CheckFailed(
                f"Called {text}. When it returned, {path.name} was empty; expected {sample(wanted)}.",
                "Await the write (`await f.write(text)`) before the function returns.",
            )
        raise CheckFailed(f"Called {text}. When it returned, {path.name} held {sample(got)}; expected {sample(wanted)}.")


@pytest.mark.points(1)
def test_write_all_writes_every_file(learner, tmp_path):
    """write_all writes every text to its file, replacing what was there, before it returns"""
    old = "an old summary, longer than the new one\n" * 2
    texts = {tmp_path / name: text for name, text in REPORTS.items()}
    (tmp_path / "summary.txt").write_text(old)
    outcome = run_files(
        learner, "write_all", texts, text=f"write_all({{{', '.join(p.name + ': …' for p in texts)}}})",
        outputs=tuple(texts),
    )
    judge_written(outcome, texts, {tmp_path / "summary.txt": old})
    run_files(learner, "write_all", {}, text="write_all({})")  # nothing to write: it returns, raising nothing


@pytest.mark.points(2)
def test_write_all_writes_files_together(learner, tmp_path):
    """write_all writes 5 files at the same time: in the time it takes to write one"""
    contents = same_shape(5)
    texts = {tmp_path / name: text for name, text in contents.items()}
    paths = list(texts)
    disk = SlowDisk(paths)
    outcome = run_files(
        learner, "write_all", texts, text=f"write_all({{{', '.join(p.name + ': …' for p in paths)}}})",
        disk=disk, outputs=tuple(paths),
    )
    judge_written(outcome, texts, {})
    first = dict(list(texts.items())[:1])
    one = run_files(
        learner, "write_all", first, text=f"write_all({{{paths[0].name}: …}})", disk=SlowDisk(paths[:1]),
        outputs=tuple(first),
    )
    judge_together(outcome, disk, one, len(paths), "writing", WRITE_TOGETHER)


@pytest.mark.points(1)
def test_files_are_closed_when_done(learner, tmp_path):
    """read_all, copy_matching and write_all close every file they open before they return"""
    paths = make_files(tmp_path, FRUIT)
    text = f"read_all({names(paths)})"
    judge_closed(run_files(learner, "read_all", paths, text=text), text)
    (source,) = make_files(tmp_path, {"app.log": SMALL_LOG})
    target = tmp_path / "errors.log"
    text = "copy_matching(app.log, errors.log, 'ERROR')"
    judge_closed(run_files(learner, "copy_matching", source, target, "ERROR", text=text, outputs=(target,)), text)
    texts = {tmp_path / f"out-{n}.txt": f"line {n}\n" for n in (3, 1, 2)}
    text = "write_all({out-3.txt: ..., out-1.txt: ..., out-2.txt: ...})"
    judge_closed(run_files(learner, "write_all", texts, text=text, outputs=tuple(texts)), text)
