"""``awaitlings verify``: prove the kit is sound before it ships.

For every exercise: its files exist and agree; the reference solution passes every
visible test and hidden check; the untouched stub fails every graded check and
every visible test.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog
from grader.records import Record
from grader.runner import run_pytest


@dataclass
class Verdict:
    exercise: str
    problems: list[str] = field(default_factory=list)
    solution: str = ""
    stub: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _defined_functions(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError) as error:
        return {f"<unreadable: {error}>"}
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def check_files(exercise: catalog.Exercise, root: Path) -> list[str]:
    """What is missing or inconsistent in one exercise's files."""
    problems = []
    stub = root / "exercises" / exercise.name / exercise.filename
    solution = root / "solutions" / exercise.name / exercise.filename
    for path in (stub, solution, root / "exercises" / exercise.name / "README.md"):
        if not path.is_file():
            problems.append(f"missing {path.relative_to(root)}")
    if not 2 <= len(exercise.hints) <= 5 or not all(h.strip() for h in exercise.hints):  # a nudge, then 1 to 4 steps
        problems.append(f"needs 2 to 5 non-empty hints, has {len(exercise.hints)}")
    if not list((root / "checks" / exercise.name).glob("test_*.py")):
        problems.append(f"no hidden checks in checks/{exercise.name}")
    if not list((root / "exercises" / exercise.name).glob("test_*.py")):
        problems.append(f"no visible tests in exercises/{exercise.name}")
    for path in (stub, solution):
        if path.is_file():
            absent = set(exercise.functions) - _defined_functions(path)
            if absent:
                problems.append(f"{path.relative_to(root)} lacks {', '.join(sorted(absent))}")
    return problems


def _by_exercise(records: dict[str, Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for record in records.values():
        grouped.setdefault(record.exercise, []).append(record)
    return grouped


def verify(root: Path = catalog.KIT_ROOT) -> list[Verdict]:
    """Verdicts for every exercise; two pytest children run all checks, on solutions and on stubs."""
    exercises, verdicts = [], []
    for folder in catalog.folders(root):
        try:
            exercises.append(catalog.load(folder))
        except ValueError as error:
            verdicts.append(Verdict(folder.name, [f"unreadable metadata: {error}"]))
    paths = [p for e in exercises for p in (f"checks/{e.name}", f"exercises/{e.name}")]
    on_solutions = _by_exercise(run_pytest(paths, root / "solutions", root=root).records)
    on_stubs = _by_exercise(run_pytest(paths, root / "exercises", root=root).records)
    for exercise in exercises:
        verdict = Verdict(exercise.name, check_files(exercise, root))
        solved = on_solutions.get(exercise.name, [])
        failing = [r for r in solved if r.outcome != "passed"]
        verdict.solution = f"{len(solved) - len(failing)}/{len(solved)} pass"
        verdict.problems += [f"solution fails {r.check}: {r.message.splitlines()[0] if r.message else r.outcome}" for r in failing]
        if not solved:
            verdict.problems.append("no test or check ran on the solution")
        stubbed = [r for r in on_stubs.get(exercise.name, []) if r.max_points or r.nodeid.startswith("exercises/")]
        passing = [r for r in stubbed if r.outcome != "failed"]
        verdict.stub = f"{len(stubbed) - len(passing)}/{len(stubbed)} fail"
        verdict.problems += [f"stub already passes {r.check}" for r in passing]
        if not any(r.max_points for r in stubbed):
            verdict.problems.append("no graded check (points marker) ran on the stub")
        verdicts.append(verdict)
    return sorted(verdicts, key=lambda v: v.exercise)
