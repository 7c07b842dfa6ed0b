"""Machine-readable results: one JSON line per check, written as each check ends."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Iterator

from grader import messages

READ_LIMIT = 16 << 20  # bytes of a records file read: a few hundred checks need a few hundred kB


@dataclass
class Record:
    exercise: str  # "03_gather"
    check: str  # the test function's name
    title: str  # the docstring's first line: what the learner reads
    nodeid: str
    points: float  # earned
    max_points: float  # 0 for an ungraded (visible) test
    outcome: str  # "passed", "failed", "skipped", or "collected" before it runs
    message: str
    duration: float
    schedule: dict | None = None  # the timeline a failure drew, as data (see timeline.Picture)
    printed: str = ""  # what the code under test printed during a failed test (its start)


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


class RecordWriter:
    """Appends records to a file, flushing each line so a killed run loses nothing written.

    With a key, each line carries an HMAC of its record: a line the learner's code
    forges or edits without the key is dropped when read.
    """

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[str] = path.open("a", encoding="utf-8")
        self._key = key

    def write(self, record: Record) -> None:
        body = json.dumps(asdict(record), sort_keys=True)
        line = {"record": body, "sig": _signature(self._key, body)} if self._key else json.loads(body)
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def read(path: Path, key: bytes | None = None) -> Iterator[Record]:
    """Records of a file; a torn line (the writer was killed) or, with a key, a line whose
    signature does not match is skipped."""
    for line in _read_regular_file(path).splitlines():
        record = _record_of(line, key)
        if record is not None:
            yield record


SHORTEST = 40  # bytes of the shortest line a writer writes: shorter ones are not even parsed


def _record_of(line: bytes, key: bytes | None) -> Record | None:
    if len(line) < SHORTEST or not line.startswith(b"{"):  # junk: millions of such lines cost no parsing
        return None
    try:
        data = json.loads(line.decode("utf-8", errors="replace"))
        if key is not None:
            if not hmac.compare_digest(str(data.get("sig")), _signature(key, str(data.get("record")))):
                return None
            data = json.loads(data["record"])
        return Record(**data)
    except (ValueError, TypeError, AttributeError, RecursionError):  # RecursionError: a line of 100,000 "["
        return None


class Tally:
    """Counts the records of a file that is still being written, reading each byte once (learner
    code can fill the file with lines that are not records: they are read and dropped once)."""

    def __init__(self, path: Path, key: bytes | None = None) -> None:
        self.path, self.key = path, key
        self.count, self._read, self._partial = 0, 0, b""

    def update(self) -> int:
        """The count of records so far (at most READ_LIMIT bytes of the file are ever read)."""
        try:
            new = read_plain_file(self.path, READ_LIMIT - self._read, start=self._read)
        except (OSError, NotAPlainFile):
            return self.count
        self._read += len(new)
        *lines, self._partial = (self._partial + new).split(b"\n")
        self.count += sum(1 for line in lines if _record_of(line, self.key) is not None)
        return self.count


class NotAPlainFile(Exception):
    """A path that should hold a plain file holds something else."""


def read_plain_file(path: Path, limit: int, start: int = 0) -> bytes:
    """At most ``limit`` bytes of ``path`` from byte ``start``, opened without following a link or waiting on a pipe;
    OSError if it cannot be opened, NotAPlainFile if it is a named pipe, a device or a folder.
    (Learner code may have swapped the file for one of those since it was made or found.)"""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotAPlainFile(path)
        file.seek(start)
        return file.read(limit)


def _read_regular_file(path: Path) -> bytes:
    """The bytes of ``path`` if it is a plain file (at most READ_LIMIT of them), else nothing."""
    try:
        return read_plain_file(path, READ_LIMIT)
    except (OSError, NotAPlainFile):
        return b""


def final(path: Path, key: bytes | None = None) -> dict[str, Record]:
    """The last word on each check by node id: a result, or "collected" if it never reported.

    The grader writes one result per check; a second, different one was written by something else
    (learner code that found the writer), so that check fails with a message that voids its
    exercise. The same line again (copied by a later exercise's code) changes nothing."""
    latest: dict[str, Record] = {}
    for record in read(path, key):
        earlier = latest.get(record.nodeid)
        if earlier == record:
            continue
        if earlier is not None and earlier.outcome != "collected" and record.outcome != "collected":
            record = replace(record, outcome="failed", points=0.0, message=messages.TAMPERED.format(
                names="the grader's record of this check"), schedule=None)
        if record.outcome != "collected" or earlier is None:
            latest[record.nodeid] = record
    return latest
