"""The learner's progress file, ``.awaitlings/state.json`` in the kit folder.

It is only a cache plus the hint counters: anything unreadable, of another version
or of the wrong shape is dropped and rebuilt, never a crash. Writes are atomic
(a temporary file renamed over the old one), so an interrupted write leaves the
previous file whole.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

VERSION = 1
FILE = "state.json"


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "results": {}, "hints": {}}


class State:
    """Load, change, save. Each command loads it fresh, so two commands at once lose little."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE
        self.data = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _empty()
        except OSError as error:
            self._note(f"cannot read {self.path} ({error.strerror}); starting afresh")
            return _empty()
        try:
            data = json.loads(text)
        except ValueError:
            self._note(f"{self.path} was corrupt; rebuilt it (your exercise files are untouched)")
            return _empty()
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return _empty()  # an older kit's file: rebuilt quietly
        for key in ("results", "hints"):
            if not isinstance(data.get(key), dict):
                data[key] = {}
        return data

    @staticmethod
    def _note(text: str) -> None:
        print(f"awaitlings: {text}", file=sys.stderr)

    # Cached test results, per exercise, keyed by the content hash they were run on.

    def results(self, exercise: str, key: str) -> dict[str, Any] | None:
        entry = self.data["results"].get(exercise)
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("tests"), list):
            tests = entry["tests"]
            if all(isinstance(t, dict) and {"title", "outcome", "message"} <= t.keys() for t in tests):
                return entry
        return None

    def set_results(self, exercise: str, entry: dict[str, Any]) -> None:
        self.data["results"][exercise] = entry

    # Hints shown so far, per exercise.

    def hints_shown(self, exercise: str) -> int:
        value = self.data["hints"].get(exercise, 0)
        return value if isinstance(value, int) and value >= 0 else 0

    def set_hints_shown(self, exercise: str, count: int) -> None:
        self.data["hints"][exercise] = count

    def save(self) -> None:
        """Write atomically; a kit folder that cannot be written only loses the cache."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.path.parent / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n", encoding="utf-8")  # never committed, even without the kit's .gitignore
            handle, scratch = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(self.data, file, indent=1)
                os.replace(scratch, self.path)
            except BaseException:
                Path(scratch).unlink(missing_ok=True)
                raise
        except OSError as error:
            self._note(f"cannot save progress in {self.path} ({error.strerror or error})")
