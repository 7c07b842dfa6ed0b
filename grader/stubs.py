"""Untouched stubs, and ``awaitlings reset``: put one back, keep the learner's file as a backup.

Where the untouched stub comes from, first found wins:

1. git, when the kit is a git checkout: the newest committed version of the file that
   is still a stub (every function of the exercise still raises NotImplementedError).
   A learner who commits their work still gets the kit's stub, not their last commit.
2. The copy in ``.awaitlings/stubs/``, saved the first time the CLI saw the file as a
   stub (for a kit that came as a zip, or whose git history is gone).
"""

from __future__ import annotations

import ast
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from grader.catalog import Exercise
from grader.kit import Kit

GIT_HISTORY = 50  # commits of one file looked at for its stub


class NoStub(LookupError):
    """No untouched copy of the exercise's file is known."""


@dataclass
class Pristine:
    text: bytes
    origin: str  # where it came from, for the learner


@dataclass
class Reset:
    path: Path
    origin: str
    backup: Path | None  # the learner's file before the reset; None if there was none
    unchanged: bool  # the file already was the stub: nothing done


def _raises_not_implemented(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Raise) or statement.exc is None:
        return False
    exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def untouched(source: bytes | str, exercise: Exercise) -> bool:
    """Whether ``source`` is still a stub: each of the exercise's functions raises
    NotImplementedError in its body (comments and docstrings may have changed)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    bodies = {
        node.name: node.body
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    return bool(exercise.functions) and all(
        name in bodies and any(_raises_not_implemented(s) for s in bodies[name]) for name in exercise.functions
    )


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, timeout=20, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git here
    return done.stdout if done.returncode == 0 else None


def from_git(kit: Kit, exercise: Exercise) -> Pristine | None:
    relative = f"exercises/{exercise.name}/{exercise.filename}"
    commits = _git(kit.root, "log", f"-n{GIT_HISTORY}", "--format=%H", "--", relative)
    for commit in (commits or b"").decode().split():
        text = _git(kit.root, "show", f"{commit}:./{relative}")
        if text is not None and untouched(text, exercise):
            return Pristine(text, f"git commit {commit[:10]}")
    return None


def saved_path(kit: Kit, exercise: Exercise) -> Path:
    return kit.state_dir / "stubs" / exercise.name / exercise.filename


def remember(kit: Kit, exercises: list[Exercise]) -> None:
    """Keep a copy of each stub the first time it is seen untouched: reset's fallback."""
    for exercise in exercises:
        copy = saved_path(kit, exercise)
        if copy.exists():
            continue
        try:
            text = kit.module_path(exercise).read_bytes()
            if untouched(text, exercise):
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(text)
        except OSError:
            continue  # unreadable file or read-only kit: no copy, git may still serve


def pristine(kit: Kit, exercise: Exercise) -> Pristine:
    found = from_git(kit, exercise)
    if found is not None:
        return found
    copy = saved_path(kit, exercise)
    try:
        return Pristine(copy.read_bytes(), f"the copy saved in {kit.shown(copy)}")
    except OSError:
        pass
    raise NoStub(
        f"no untouched copy of {kit.shown(kit.module_path(exercise))} is known: the kit is not a git "
        "checkout and awaitlings never saw the file before it was changed. Take the file from a "
        "fresh copy of the kit."
    )


def _backup_path(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{number}")
        number += 1
    return candidate


def reset(kit: Kit, exercise: Exercise) -> Reset:
    """Put the stub back; the learner's file is kept beside it as ``<module>.py.bak-<time>``."""
    remember(kit, [exercise])
    stub = pristine(kit, exercise)
    path = kit.module_path(exercise)
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current == stub.text:
        return Reset(path, stub.origin, None, unchanged=True)
    backup = None
    if current is not None:
        backup = _backup_path(path)
        backup.write_bytes(current)
    path.write_bytes(stub.text)
    return Reset(path, stub.origin, backup, unchanged=False)
