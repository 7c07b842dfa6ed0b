"""Visible tests of exercise 09. Run them with: pytest exercises/09_file_io

Each test writes real files in a temporary folder (pytest's tmp_path), then runs your
coroutine on a virtual-time event loop that fails on any blocking call. To see whether
you handle files at the same time, one test makes the disk slow: every operation sent
to a worker thread (each aiofiles open, read, write and close) takes 1 s of loop time.
"""

import asyncio
import contextlib
import gc
import os
import random
import re
import tracemalloc
import warnings
from pathlib import Path

from grader.failure import CheckFailed


class SlowDisk:
    """Install on the running loop: each loop.run_in_executor call (what aiofiles and
    asyncio.to_thread use) takes 1 s of loop time, and its work still runs in a thread."""

    def install(self, loop):
        original = loop.run_in_executor

        def run_in_executor(executor, func, *args):
            return asyncio.ensure_future(self._slowly(original(executor, func, *args)))

        loop.run_in_executor = run_in_executor

    @staticmethod
    async def _slowly(work):
        await asyncio.sleep(1.0)
        return await work


def run(learner, name, *args, slow_disk=False, trace_memory=False, left_open=None):
    """Run name(*args) on the test loop; return (call, peak bytes of memory held while it ran).

    With a list as `left_open`, it receives the names of the files your code left open: those
    Python had to close for you ("unclosed file" ResourceWarning) by the time it returned.
    """
    peak = [0]

    async def scenario(function):
        if slow_disk:
            SlowDisk().install(asyncio.get_running_loop())
        if trace_memory:
            tracemalloc.start()
        try:
            if left_open is None:
                return await function(*args)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ResourceWarning)
                value = await function(*args)
                left_open.extend(still_open(args))  # a file object a worker thread still holds
                gc.collect()  # a file object nobody holds any more is closed now, with the warning
            for warning in caught:
                found = re.search(r"unclosed file .*name='([^']+)'", str(warning.message))
                if issubclass(warning.category, ResourceWarning) and found:
                    left_open.append(found.group(1).rsplit("/", 1)[-1])
            return value
        finally:
            if trace_memory:
                peak[0] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()

    call = learner.run_scenario(name, scenario, text=f"{name}({', '.join(map(shown, args))})")
    error = call.run.error
    if error is not None and "coroutine" in str(error):
        raise CheckFailed(f"Called {call.text}. It raised {type(error).__name__}: {error} at {call.where(error)}.", AWAIT)
    return call, peak[0]


def still_open(args):
    """The names of files in the folders of ``args``' paths that this process holds open now."""
    paths = [a for arg in args for a in (arg if isinstance(arg, (list, dict)) else [arg]) if isinstance(a, Path)]
    folders = {str(path.parent) + "/" for path in paths}
    names = []
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if any(target.startswith(folder) for folder in folders):
                names.append(target.rsplit("/", 1)[-1])
    return names


AWAIT = "A forgotten await: every method of an aiofiles file is a coroutine. `text = await f.read()`, `await f.write(text)`."


def shown(arg):
    """How an argument appears in messages: files by name."""
    if isinstance(arg, list):
        return f"[{', '.join(map(shown, arg))}]"
    if isinstance(arg, dict):
        return "{" + ", ".join(f"{shown(path)}: …" for path in arg) + "}"
    return arg.name if hasattr(arg, "name") else repr(arg)


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


def check_texts(call, expected):
    got = call.result()
    if isinstance(got, list) and any(asyncio.iscoroutine(text) for text in got):
        raise CheckFailed(f"Called {call.text}. It returned coroutine objects instead of the files' texts.", AWAIT)
    check(got == expected, call, repr(got), repr(expected))


def write(folder, texts):
    paths = []
    for name, text in texts.items():
        path = folder / name
        path.write_text(text)
        paths.append(path)
    return paths


def test_read_all_returns_each_files_text(learner, tmp_path):
    """read_all returns the text of each file, in the order of paths"""
    texts = {"b.log": "bee\nbuzz\n", "c.log": "", "a.log": "ant\n"}
    paths = write(tmp_path, texts)
    call, _ = run(learner, "read_all", paths)
    check_texts(call, list(texts.values()))


def test_read_all_reads_files_together(learner, tmp_path):
    """read_all reads 3 files in the time it takes to read one (on a slow disk)"""
    paths = write(tmp_path, {f"day-{n}.log": f"day {n}: ok\n" for n in (3, 1, 2)})
    three, _ = run(learner, "read_all", paths, slow_disk=True)
    check_texts(three, [p.read_text() for p in paths])
    one, _ = run(learner, "read_all", paths[:1], slow_disk=True)
    one.result()
    check(
        one.loop_time > 0,
        one,
        "it return at 0 s of loop time, before any file was written (opening, writing and closing take 1 s each on "
        "this disk): it did not wait for its writes",
        "it returns once the file is written and closed",
        "Await the writes (asyncio.gather waits for every coroutine or task you hand it).",
    )
    check(
        abs(three.loop_time - one.loop_time) < 1e-6,
        three,
        f"{three.loop_time:g} s of loop time for 3 files and {one.loop_time:g} s for 1 "
        "(opening, reading and closing a file take 1 s each on this disk)",
        "the same time for both: the 3 files read at the same time",
        "Read each file in its own coroutine, and run them all at once with asyncio.gather.",
    )


# a matching line indented and with trailing spaces, and a last line with no newline: copied as they are
LOG = "08:00 INFO up\n  08:01 ERROR disk full  \n08:02 error budget low\n08:03 ERROR disk full again"


def test_copy_matching_copies_matching_lines(learner, tmp_path):
    """copy_matching writes the lines that contain the word, unchanged, to an emptied target, and returns how many"""
    (source,) = write(tmp_path, {"app.log": LOG})
    target = tmp_path / "errors.log"
    target.write_text("last week's errors\n")  # emptied first, not appended to
    call, _ = run(learner, "copy_matching", source, target, "ERROR")
    count = call.result()
    wanted = "  08:01 ERROR disk full  \n08:03 ERROR disk full again"
    got = target.read_text() if target.exists() else None
    appended = got is not None and got.startswith("last week's errors") and got != wanted
    changed = got is not None and [line.strip() for line in got.splitlines()] == [line.strip() for line in wanted.splitlines()]
    advice = None
    if appended:
        advice = 'Open the target with mode "w": it empties the file first ("a" adds to what was there).'
    elif changed:
        advice = (
            "`async for line in f` gives each line as it is in the file, with its newline if it has one: write it "
            'unchanged (no strip(), no added "\\n").'
        )
    saw = f"errors.log holding {got!r}"
    if changed:
        saw += ": the right lines, but with their spaces or line endings changed"
    check(got == wanted, call, saw, f"{wanted!r}: each matching line as it is in app.log (the last has no newline)", advice)
    check(count == 2, call, f"it returned {count!r}", "2 (the number of lines copied)")


def test_copy_matching_streams_a_large_file(learner, tmp_path):
    """copy_matching holds only a small part of a 4 MB file in memory at once"""
    rng = random.Random(9)
    text = "".join(f"{n} ERROR {rng.randbytes(10_000).hex()}\n" for n in range(200))
    (source,) = write(tmp_path, {"big.log": text})
    target = tmp_path / "errors.log"
    call, peak = run(learner, "copy_matching", source, target, "ERROR", trace_memory=True)
    check(call.result() == 200, call, f"it returned {call.result()!r}", "200")
    lines = text.splitlines(keepends=True)
    got = target.read_text().splitlines(keepends=True) if target.exists() else []
    whole = set(got)
    broken = [n for n, line in enumerate(lines) if line not in whole]
    check(
        not broken,
        call,
        f"errors.log holding {len(got)} line{'s' if len(got) != 1 else ''}: {len(broken)} of the 200 lines of big.log "
        f"(each about 20,000 characters, each with ERROR) not copied whole, the first of them line "
        f"{broken[0] + 1 if broken else 0}",
        "every matching line copied whole",
        "Go through the file with `async for line in f:`: it gives whole lines. A chunk of `read(n)` ends "
        "wherever n characters end, cutting a line in two.",
    )
    check(
        peak < len(text) / 2,
        call,
        f"up to {peak / 1e6:.1f} MB held in memory at once, for a {len(text) / 1e6:.1f} MB file",
        "a small part of it",
        "Go through the file with `async for line in f:` and write each matching line as you go.",
    )


def test_write_all_writes_every_file(learner, tmp_path):
    """write_all writes each text to its path, replacing what the file held"""
    old = tmp_path / "old.txt"
    old.write_text("yesterday's report, longer than today's\n")
    texts = {tmp_path / "new.txt": "2 errors\n", old: "0 errors\n"}
    call, _ = run(learner, "write_all", texts)
    call.result()
    check(not call.run.leaked, call, f"tasks still running when it returned ({', '.join(call.run.leaked)})",
          "every file written before write_all returns", "Await every task you create (asyncio.gather waits for all).")
    for path, text in texts.items():
        got = path.read_text() if path.exists() else None
        check(got == text, call, f"{path.name} holding {got!r}", repr(text), 'Open with mode "w", then `await f.write(text)`.')


def test_write_all_writes_files_together(learner, tmp_path):
    """write_all writes 3 files in the time it takes to write one (on a slow disk)"""
    texts = {tmp_path / f"report-{n}.txt": f"report {n}\n" for n in (2, 3, 1)}
    three, _ = run(learner, "write_all", texts, slow_disk=True)
    three.result()
    first = next(iter(texts))
    one, _ = run(learner, "write_all", {first: texts[first]}, slow_disk=True)
    one.result()
    check(
        one.loop_time > 0,
        one,
        "it return at 0 s of loop time, before any file was written (opening, writing and closing take 1 s each on "
        "this disk): it did not wait for its writes",
        "it returns once the file is written and closed",
        "Await the writes (asyncio.gather waits for every coroutine or task you hand it).",
    )
    check(
        abs(three.loop_time - one.loop_time) < 1e-6,
        three,
        f"{three.loop_time:g} s of loop time for 3 files and {one.loop_time:g} s for 1 "
        "(opening, writing and closing a file take 1 s each on this disk)",
        "the same time for both: the 3 files written at the same time",
        "Write each file in its own coroutine, and run them all at once with asyncio.gather.",
    )


def test_files_are_closed_when_done(learner, tmp_path):
    """read_all, copy_matching and write_all close every file they open before they return"""
    advice = (
        "Open files with `async with aiofiles.open(path) as f:` (for writing, `aiofiles.open(path, \"w\")`): the "
        "file is closed when the block ends, even when it raises."
    )
    paths = write(tmp_path, {"b.log": "bee\n", "a.log": "ant\n"})
    source = write(tmp_path, {"app.log": LOG})[0]
    texts = {tmp_path / f"out-{n}.txt": f"line {n}\n" for n in (3, 1, 2)}
    for name, args in [
        ("read_all", (paths,)),
        ("copy_matching", (source, tmp_path / "errors.log", "ERROR")),
        ("write_all", (texts,)),
    ]:
        left_open = []
        call, _ = run(learner, name, *args, left_open=left_open)
        call.result()
        names = sorted(set(left_open))
        check(
            not names,
            call,
            f"{', '.join(names)} never closed: still open when it returned, Python closes {'it' if len(names) == 1 else 'them'} "
            "only when it throws the file object away (an 'unclosed file' ResourceWarning), whenever that happens to be",
            "every file it opens closed before it returns (until then a file holds a file descriptor, and what was "
            "written may still sit in its buffer)",
            advice,
        )
