"""The exercise catalog: one ``exercise.toml`` per ``exercises/NN_topic`` folder."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent  # the kit this package was installed from (-e)
EXERCISE_DIR = re.compile(r"^(\d\d)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Exercise:
    """Metadata of one exercise, read from its ``exercise.toml``."""

    name: str  # folder name, e.g. "03_gather"
    title: str
    concept: str
    module: str  # the learner's module, e.g. "gather" for gather.py
    functions: tuple[str, ...]
    docs: str
    hints: tuple[str, ...]

    @property
    def number(self) -> str:
        return self.name[:2]

    @property
    def filename(self) -> str:
        return f"{self.module}.py"

    @property
    def readme(self) -> str:
        """Where the learner reads the task, relative to the kit."""
        return f"exercises/{self.name}/README.md"


def load(folder: Path) -> Exercise:
    """Read one exercise's metadata; raise ValueError naming the file if it is broken."""
    path = folder / "exercise.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Exercise(
            name=folder.name,
            title=data["title"],
            concept=data["concept"],
            module=data["module"],
            functions=tuple(data["functions"]),
            docs=data["docs"],
            hints=tuple(data["hints"]),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: {exc!r}") from exc


def folders(root: Path = KIT_ROOT) -> list[Path]:
    """The ``exercises/NN_topic`` folders, in number order."""
    return sorted(p for p in (root / "exercises").iterdir() if p.is_dir() and EXERCISE_DIR.match(p.name))


def exercises(root: Path = KIT_ROOT) -> list[Exercise]:
    """Every exercise of the kit, in number order."""
    return [load(p) for p in folders(root)]


def find(name_or_number: str, root: Path = KIT_ROOT) -> Exercise:
    """The exercise named ``03_gather`` or numbered ``03`` / ``3``."""
    wanted = name_or_number.strip().rstrip("/").split("/")[-1]
    for folder in folders(root):
        if wanted in (folder.name, folder.name[:2], folder.name[:2].lstrip("0")):
            return load(folder)
    raise LookupError(f"no exercise called {name_or_number!r}")
