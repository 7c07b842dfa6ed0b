"""Exercise names as learners type them: ``03``, ``3``, ``03_gather``, ``gather``, a path."""

from __future__ import annotations

import difflib
from pathlib import Path

from grader import catalog
from grader.catalog import Exercise


class UnknownExercise(LookupError):
    """A name that matches no exercise, or more than one; the message suggests what to type."""


def _topic(exercise: Exercise) -> str:
    return exercise.name[3:]  # "gather" of "03_gather"


def _wanted(name: str) -> str:
    """The exercise part of what was typed: ``exercises/03_gather/gather.py`` -> ``03_gather``."""
    parts = [p for p in name.strip().replace("\\", "/").split("/") if p and p != "."]
    if len(parts) >= 2 and parts[-1].endswith(".py"):
        parts.pop()  # a file inside the exercise
    return (parts[-1] if parts else "").lower()


def resolve(name: str, exercises: list[Exercise]) -> Exercise:
    """The one exercise ``name`` means. Tried in order: folder or number, topic, module name."""
    wanted = _wanted(name)
    tiers = (
        lambda e: wanted in (e.name, e.number, e.number.lstrip("0") or "0"),
        lambda e: wanted == _topic(e),
        lambda e: wanted in (e.module, e.filename),
    )
    for matches_tier in tiers:
        found = [e for e in exercises if matches_tier(e)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UnknownExercise(
                f"{name!r} could mean {' or '.join(e.name for e in found)}: "
                f"type its number ({' or '.join(e.number for e in found)})."
            )
    raise UnknownExercise(f"no exercise called {name!r}.{suggestion(wanted, exercises)}")


def suggestion(wanted: str, exercises: list[Exercise]) -> str:
    """`` Did you mean 03_gather?`` for a near miss, else where to find the names."""
    by_key: dict[str, Exercise] = {}
    for exercise in exercises:
        for key in (exercise.name, _topic(exercise), exercise.module):
            by_key.setdefault(key, exercise)
    by_word = [e for e in exercises if wanted in _topic(e).split("_")]  # "sync": 14_sync_vs_async
    if by_word:
        return f" Did you mean {' or '.join(f'{e.name} ({e.number})' for e in by_word)}?"
    close = difflib.get_close_matches(wanted, list(by_key), n=1, cutoff=0.6)
    if close:
        exercise = by_key[close[0]]
        return f" Did you mean {exercise.name} ({exercise.number})?"
    if exercises:
        numbers = f"{exercises[0].number} to {exercises[-1].number}" if len(exercises) > 1 else exercises[0].number
        return f" Exercises are numbered {numbers}; `awaitlings list` shows them all."
    return " This kit has no exercises."


def folder_names(root: Path, only: list[str] | None) -> list[str] | None:
    """The exercise folders of ``root`` that ``only`` names as learners type them (``3``,
    ``gather``); None for all. A name that matches none raises UnknownExercise, so no command
    goes on with fewer exercises than asked for."""
    if not only:
        return None
    exercises = []
    for folder in catalog.folders(root):
        try:
            exercises.append(catalog.load(folder))
        except ValueError:  # a broken exercise.toml: named by the command that reads it
            exercises.append(Exercise(folder.name, "", "", "", (), "", ()))
    return [resolve(name, exercises).name for name in only]
