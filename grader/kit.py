"""The learner's kit folder: where its exercises are, and paths inside it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader import catalog

STATE_DIR = ".awaitlings"  # progress, saved stubs; ignored by git


class KitNotFound(LookupError):
    """No folder with ``exercises/NN_topic/exercise.toml`` here or in the installed kit."""


def _is_kit(folder: Path) -> bool:
    exercises = folder / "exercises"
    return exercises.is_dir() and any(
        catalog.EXERCISE_DIR.match(p.parent.name) for p in exercises.glob("*/exercise.toml")
    )


def find_root(start: Path | None = None) -> Path:
    """The kit a learner means: the current folder (or one above it) if it holds the
    exercises, else the kit this package was installed from."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if _is_kit(folder):
            return folder
    if _is_kit(catalog.KIT_ROOT):
        return catalog.KIT_ROOT
    raise KitNotFound(
        f"no exercises/ folder in {start} or above it: run awaitlings from the kit's folder"
    )


@dataclass
class Kit:
    root: Path

    @classmethod
    def locate(cls, explicit: Path | None = None) -> "Kit":
        if explicit is not None:
            root = explicit.resolve()
            if not _is_kit(root):
                raise KitNotFound(f"{root} holds no exercises/NN_topic/exercise.toml")
            return cls(root)
        return cls(find_root())

    @cached_property
    def exercises(self) -> list[catalog.Exercise]:
        return catalog.exercises(self.root)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def folder(self, exercise: catalog.Exercise) -> Path:
        return self.root / "exercises" / exercise.name

    def module_path(self, exercise: catalog.Exercise) -> Path:
        return self.folder(exercise) / exercise.filename

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is the kit's folder or inside it."""
        return path.resolve().is_relative_to(self.root.resolve())

    def shown(self, path: Path) -> str:
        """A path as the learner types it: relative to the kit when it is inside."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def after(self, exercise: catalog.Exercise) -> catalog.Exercise | None:
        """The exercise that follows in number order, if any."""
        names = [e.name for e in self.exercises]
        index = names.index(exercise.name)
        return self.exercises[index + 1] if index + 1 < len(names) else None
