"""Known submissions in tests/submissions/NN_topic/*.py and what each must score.

Each file starts with comment lines that state its verdicts:
  # expect: pass                          every check passes
  # expect-fail: CHECK: MESSAGE FRAGMENT  CHECK fails and its message contains the fragment
  # expect-pass: CHECK                    CHECK passes (what the mistake does not break)
  # visible-fail: TEST: MESSAGE FRAGMENT  the exercise's visible TEST catches the mistake too
A correct submission passes the visible tests as well as every check.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog

CASES = Path(__file__).parent / "submissions"
HEADER = re.compile(r"^# (expect|expect-fail|expect-pass|visible-fail): (.*)$")


@dataclass
class Case:
    exercise: catalog.Exercise
    path: Path
    all_pass: bool = False
    fails: dict[str, str] = field(default_factory=dict)
    passes: list[str] = field(default_factory=list)
    visible_fails: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why the file's header could not be read

    @property
    def id(self) -> str:
        return f"{self.exercise.name}/{self.path.stem}"

    def install(self, submission: Path) -> None:
        """Lay the file out as a learner's submission of its exercise."""
        folder = submission / self.exercise.name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.path, folder / self.exercise.filename)


def parse(path: Path) -> Case:
    case = Case(catalog.find(path.parent.name), path)
    for line in path.read_text().splitlines():
        match = HEADER.match(line)
        if not match:
            break
        kind, text = match.groups()
        name, _, fragment = text.partition(": ")
        if kind == "expect":
            case.all_pass = text.strip() == "pass"
        elif kind == "expect-pass":
            case.passes.append(text.strip())
        else:
            (case.fails if kind == "expect-fail" else case.visible_fails)[name.strip()] = fragment.strip()
    if not (case.all_pass or case.fails):
        raise ValueError(f"{path}: no '# expect' header")
    return case


def all_cases() -> list[Case]:
    """Every known submission; one with a broken header becomes a case that fails, not a crash."""
    cases = []
    for path in sorted(CASES.glob("*/*.py")):
        try:
            cases.append(parse(path))
        except (ValueError, LookupError) as error:
            cases.append(Case(catalog.Exercise(path.parent.name, "", "", "", (), "", ()), path, problem=str(error)))
    return cases
