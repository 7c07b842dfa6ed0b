"""Machine-readable results: one JSON line per check, written as each check ends."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Iterator


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


class RecordWriter:
    """Appends records to a file, flushing each line so a killed run loses nothing written."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def write(self, record: Record) -> None:
        self._file.write(json.dumps(asdict(record)) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read(path: Path) -> Iterator[Record]:
    """Records of a file; a torn last line (the writer was killed) is skipped."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield Record(**json.loads(line))
        except (ValueError, TypeError):
            continue


def final(path: Path) -> dict[str, Record]:
    """The last word on each check by node id: a result, or "collected" if it never reported."""
    latest: dict[str, Record] = {}
    for record in read(path):
        if record.outcome != "collected" or record.nodeid not in latest:
            latest[record.nodeid] = record
    return latest
