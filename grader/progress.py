"""Where the learner stands: each exercise's visible tests, run in a child, cached by content.

An exercise is *done* when all its visible tests pass, *not started* while every one of
its functions still raises NotImplementedError, and *failing* otherwise. Results are
cached in the state file under a hash of the exercise's ``.py`` and ``.toml`` files
and of the grader itself, so ``awaitlings list`` runs nothing when nothing changed.
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from grader import stubs
from grader.catalog import Exercise
from grader.kit import Kit
from grader.runner import run_pytest
from grader.state import State

DONE, FAILING, NOT_STARTED = "done", "failing", "not started"
HASHED = (".py", ".toml")  # what can change a test's outcome; editor swap files and backups cannot
OUTPUT_KEPT = 4000  # characters of pytest's output kept when an exercise left no test results


@dataclass
class TestResult:
    title: str
    outcome: str  # passed, failed, skipped; "collected" if the run died before it
    message: str
    printed: str = ""  # what the learner's code printed during the test, if it failed

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass
class Status:
    exercise: Exercise
    tests: list[TestResult] = field(default_factory=list)
    started: bool = True  # False: every function still raises NotImplementedError
    output: str = ""  # pytest's output, when no test reported (e.g. a broken test file)
    ran: bool = False  # the tests ran just now (not from the cache)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def state(self) -> str:
        if self.tests and self.passed == self.total:
            return DONE
        return FAILING if self.started else NOT_STARTED

    @property
    def done(self) -> bool:
        return self.state == DONE


@lru_cache(maxsize=1)
def _grader_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def content_hash(kit: Kit, exercise: Exercise) -> str:
    """Hash of what the exercise's tests depend on: its folder's source files and the grader."""
    digest = hashlib.sha256(_grader_hash().encode())
    folder = kit.folder(exercise)
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts)
        if path.suffix in HASHED and not hidden and path.is_file():
            try:
                data = path.read_bytes()
            except OSError:
                data = b"<unreadable>"
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _started(kit: Kit, exercise: Exercise) -> bool:
    try:
        return not stubs.untouched(kit.module_path(exercise).read_bytes(), exercise)
    except OSError:
        return True  # a missing file is not the untouched stub


def _run(kit: Kit, exercises: list[Exercise]) -> tuple[dict[str, list[TestResult]], set[str], str]:
    """Run the visible tests of ``exercises`` in one child: results by exercise, the
    exercises whose every test reported (safe to cache), and pytest's output."""
    outcome = run_pytest([f"exercises/{e.name}" for e in exercises], kit.root / "exercises", root=kit.root)
    results: dict[str, list[TestResult]] = {e.name: [] for e in exercises}
    for record in outcome.records.values():
        if record.exercise in results:
            results[record.exercise].append(TestResult(record.title, record.outcome, record.message, record.printed))
    complete = set()
    if outcome.returncode is not None:
        complete = {name for name, tests in results.items() if all(t.outcome != "collected" for t in tests)}
    return results, complete, outcome.output


def statuses(
    kit: Kit,
    exercises: list[Exercise] | None = None,
    *,
    fresh: bool = False,
    running: Callable[[list[Exercise]], AbstractContextManager] = lambda stale: nullcontext(),
) -> list[Status]:
    """Status of each exercise (all by default); ``fresh`` runs the tests even if cached.
    ``running(stale)`` wraps the test run, e.g. in a spinner, when one is needed."""
    exercises = kit.exercises if exercises is None else exercises
    stubs.remember(kit, exercises)
    state = State(kit.state_dir)
    keys = {e.name: content_hash(kit, e) for e in exercises}
    found: dict[str, Status] = {}
    stale = []
    for exercise in exercises:
        cached = None if fresh else state.results(exercise.name, keys[exercise.name])
        if cached is None:
            stale.append(exercise)
        else:
            tests = [TestResult(t["title"], t["outcome"], t["message"], t.get("printed", "")) for t in cached["tests"]]
            found[exercise.name] = Status(exercise, tests, _started(kit, exercise), cached.get("output", ""))
    if stale:
        with running(stale):
            results, complete, output = _run(kit, stale)
        if len(stale) > 1 and len(complete) < len(stale):  # one exercise's code took the run down: rerun apart
            for exercise in [e for e in stale if e.name not in complete]:
                with running([exercise]):
                    alone, alone_complete, alone_output = _run(kit, [exercise])
                results[exercise.name] = alone[exercise.name]
                complete |= alone_complete
                if not alone[exercise.name]:
                    output = alone_output
        for exercise in stale:
            tests = results[exercise.name]
            kept = "" if tests else output[-OUTPUT_KEPT:]
            found[exercise.name] = Status(exercise, tests, _started(kit, exercise), kept, ran=True)
            if exercise.name in complete:
                state.set_results(exercise.name, {
                    "key": keys[exercise.name],
                    "tests": [t.__dict__ for t in tests],
                    "output": kept,
                })
        state.save()
    return [found[e.name] for e in exercises]


def first_unfinished(all_statuses: list[Status], after: Exercise | None = None) -> Status | None:
    """The first exercise not done; with ``after``, the first one following it, wrapping around."""
    order = list(all_statuses)
    if after is not None:
        names = [s.exercise.name for s in order]
        index = names.index(after.name) + 1
        order = order[index:] + order[:index]
    return next((s for s in order if not s.done), None)
