"""``awaitlings grade``: every learner's exercises against the hidden checks, each learner in
its own sandboxed child, in parallel, each result committed as soon as it is done."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Callable

from grader import catalog, intake, messages, names, runner, timeline
from grader.records import Record
from grader.runner import Outcome, run_pytest, scratch_folder, secrets_of, sweep_scratch

NO_RESULT = "no result (the run was killed or exited early)"
PROBLEM_LIMIT = 300  # characters of a problem line (a file name or an error text in it is the learner's)
GRADER_FAILED = "not graded: the grader failed on this submission ({error}); tell your instructor"
GRADER_FAILED_START = GRADER_FAILED.partition("(")[0]  # regraded on resume: the failure may have passed
INI = """[pytest]
addopts = --import-mode=importlib
timeout = 30
timeout_method = signal
asyncio_default_fixture_loop_scope = function
"""


@dataclass
class CheckResult:
    exercise: str
    check: str
    title: str
    points: float
    max_points: float
    outcome: str  # passed, failed, or "no result"
    message: str
    duration: float
    schedule: dict | None = None  # the timeline of a failed timing check, as data


@dataclass
class LearnerResult:
    learner: str
    key: str  # hash of the learner's graded files and the checks: unchanged means already graded
    checks: list[CheckResult] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # exercise (or "*") -> what went wrong
    graded: dict[str, str] = field(default_factory=dict)  # exercise -> which file was graded (and what else was found)

    def score(self, exercise: str | None = None) -> float:
        return sum(c.points for c in self.checks if exercise in (None, c.exercise))


JUDGES = ("pytest", "pytest-asyncio", "pytest-timeout", "looptime", "blockbuster", "aiohttp", "aioresponses", "aiofiles")


@dataclass
class Plan:
    """What the batch grades: exercises, their graded checks (found on the reference), the checks' folder."""

    root: Path
    exercises: list[catalog.Exercise]
    checks: dict[str, list[Record]]  # exercise -> graded checks as collected
    in_process: bool = False  # judge checks marked judged_apart in the checks' process too (tests of its guards)

    @cached_property
    def fingerprint(self) -> str:
        """What every verdict depends on besides the learner's code: the checks, the exercises'
        module and functions, the grader itself and the versions of Python and the libraries that
        judge. A change to any of them regrades everyone on the next run (a hint or a title does
        not: the feedback is written from the current ones)."""
        digest = hashlib.sha256(f"{sys.version}\0{self.in_process}\0".encode())
        for package in JUDGES:
            digest.update(f"{package}={metadata.version(package)}\0".encode())
        files = sorted(Path(__file__).parent.rglob("*.py"))
        for exercise in self.exercises:
            files += sorted((self.root / "checks" / exercise.name).rglob("*.py"))
            digest.update(repr((exercise.name, exercise.module, exercise.functions)).encode() + b"\0")
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()


def plan(root: Path, only: list[str] | None = None) -> Plan:
    """The exercises to grade and their graded checks, collected by running them on the solutions.

    ``only``: exercise names as learners type them (``03``, ``3``, ``gather``); one that matches
    no exercise raises names.UnknownExercise.
    """
    exercises = [catalog.load(folder) for folder in catalog.folders(root)]
    if only:
        wanted = {names.resolve(name, exercises).name for name in only}
        exercises = [e for e in exercises if e.name in wanted]
    # with bytecode: every learner's sandbox copies pytest's rewritten check modules, not their source alone
    outcome = run_pytest([f"checks/{e.name}" for e in exercises], root / "solutions", root=root, bytecode=True)
    checks: dict[str, list[Record]] = {e.name: [] for e in exercises}
    for record in outcome.records.values():
        if record.max_points and record.exercise in checks:
            checks[record.exercise].append(record)
    return Plan(root, exercises, checks)


def _sandbox(plan_: Plan, sources: dict[str, str], where: Path) -> Path:
    """A fresh folder with only the learner's modules, the checks and their metadata."""
    where.mkdir()
    (where / "pytest.ini").write_text(INI)
    for exercise in plan_.exercises:
        shutil.copytree(plan_.root / "checks" / exercise.name, where / "checks" / exercise.name)
        meta = where / "exercises" / exercise.name
        meta.mkdir(parents=True)
        shutil.copy(plan_.root / "exercises" / exercise.name / "exercise.toml", meta)
        if exercise.name in sources:
            folder = where / "submission" / exercise.name
            folder.mkdir(parents=True)
            (folder / exercise.filename).write_text(sources[exercise.name], encoding="utf-8")
    (where / "submission").mkdir(exist_ok=True)
    return where


def _run(plan_: Plan, sources: dict[str, str], exercises: list[catalog.Exercise], hide: tuple[Path, ...]) -> Outcome:
    """One sandboxed run over ``exercises``: its records, and which limit stopped it, if one did."""
    with scratch_folder("awaitlings-sandbox-") as scratch:
        root = _sandbox(plan_, sources, scratch / "run")  # given to the jail's user; the scratch folder stays ours
        paths = [f"checks/{e.name}" for e in exercises]
        hidden = (*secrets_of(plan_.root), *hide)
        return run_pytest(paths, root / "submission", root=root, isolated=True, hide=hidden, in_process=plan_.in_process)


def _result(record: Record | None, check: Record, problem: str | None, stopped: str | None) -> CheckResult:
    if problem:
        outcome, message, points, duration = "not graded", problem, 0.0, 0.0
    elif record is None or record.outcome == "collected":
        message = f"{NO_RESULT}: {stopped}" if stopped else NO_RESULT
        outcome, points, duration = "no result", 0.0, 0.0
    else:
        outcome, message, duration = record.outcome, record.message, record.duration
        points = check.max_points if outcome == "passed" else 0.0
    schedule = timeline.checked_data(record.schedule) if record is not None and outcome == "failed" else None
    return CheckResult(check.exercise, check.check, check.title, points, check.max_points, outcome, message, duration, schedule)


def collect(plan_: Plan, entry: intake.Entry, unpacked: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The learner's module sources by exercise, a one-line problem for what cannot be graded, and
    which file was graded (a submission can hold two copies: ``exercises/`` and ``backup/``)."""
    sources, problems, graded = {}, {}, {}
    try:
        folder = intake.unpack(entry, unpacked)
        for exercise in plan_.exercises:
            found = intake.modules_of(folder, exercise)
            if not found:
                problems[exercise.name] = intake.missing(folder, exercise)
                continue
            path, others = found[0], [str(p.relative_to(folder)) for p in found[1:4]]
            more = ", …" if len(found) > 4 else ""
            also = f" (also found {', '.join(others)}{more}: one in exercises/ is graded first, then the shallowest)" if others else ""
            graded[exercise.name] = messages.printable(f"{path.relative_to(folder)}{also}", PROBLEM_LIMIT)
            try:
                sources[exercise.name] = intake.read_module(path)
            except intake.IntakeError as error:
                problems[exercise.name] = str(error)
    except intake.IntakeError as error:
        problems["*"] = str(error)
    except Exception as error:  # noqa: BLE001  one submission the intake cannot handle must not stop the batch
        problems["*"] = _failure(error)
    return sources, {where: messages.printable(text, PROBLEM_LIMIT) for where, text in problems.items()}, graded


def key(plan_: Plan, sources: dict[str, str]) -> str:
    """What a grade depends on: the checks and the learner's sources."""
    digest = hashlib.sha256(plan_.fingerprint.encode())
    for name in sorted(sources):
        digest.update(name.encode() + b"\0" + sources[name].encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def grader_failed(result: LearnerResult) -> bool:
    """Whether the grader itself failed on this learner (a full disk, a bug): never a grade to keep."""
    return any(problem.startswith(GRADER_FAILED_START) for problem in result.problems.values())


def _failure(error: Exception) -> str:
    """GRADER_FAILED for ``error``, without the paths an OSError names (the learner reads it)."""
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return messages.printable(GRADER_FAILED.format(error=f"{type(error).__name__}: {text}"), PROBLEM_LIMIT)


def grade_learner(
    plan_: Plan, entry: intake.Entry, sources: dict[str, str], problems: dict[str, str], hide: tuple[Path, ...] = (),
    graded_files: dict[str, str] | None = None,
) -> LearnerResult:
    """Grade one learner; never raises for anything the submission does.

    ``hide``: folders the learner's code must not see (the class's submissions, the outputs);
    ``graded_files``: which file was graded per exercise, for the feedback.
    """
    graded = [e for e in plan_.exercises if e.name in sources]
    by_check: dict[tuple[str, str], Record] = {}
    stopped_in: dict[str, str | None] = {}  # exercise: the limit that stopped its own run
    stopped = None
    try:
        first = _run(plan_, sources, graded, hide) if graded else None
        stopped = first.stopped if first else None
        by_check.update({(r.exercise, r.check): r for r in (first.records.values() if first else ())})
        # Exercises left without results when a run ended early (os._exit, a kill) are rerun alone:
        # the others keep theirs. Not the one running when time ran out (nor a lone exercise):
        # it would only take as long again.
        missing = [e for e in graded if any(
            by_check.get((e.name, c.check)) is None or by_check[(e.name, c.check)].outcome == "collected"
            for c in plan_.checks[e.name])]
        if missing and (len(graded) == 1 or first.returncode is None):
            stopped_in[missing.pop(0).name] = stopped
        for exercise in missing:
            again = _run(plan_, sources, [exercise], hide)
            stopped_in[exercise.name] = again.stopped
            by_check.update({(r.exercise, r.check): r for r in again.records.values() if r.exercise == exercise.name})
    except Exception as error:  # noqa: BLE001  one learner the grader cannot handle must not stop the batch
        problems = {**problems, "*": _failure(error)}
    result = LearnerResult(entry.learner, key(plan_, sources), problems=problems, graded=graded_files or {})
    for exercise in plan_.exercises:
        problem = problems.get(exercise.name) or problems.get("*") or _tampered(by_check, exercise)
        for check in plan_.checks[exercise.name]:
            record = None if problem else by_check.get((exercise.name, check.check))
            result.checks.append(_result(record, check, problem, stopped_in.get(exercise.name, stopped)))
    return result


def _tampered(by_check: dict[tuple[str, str], Record], exercise: catalog.Exercise) -> str | None:
    """The tamper message of an exercise whose code patched the harness: it voids all its checks."""
    found = (r.message for (name, _), r in by_check.items() if name == exercise.name)
    return next((m for m in found if m.startswith(messages.TAMPERED_START)), None)


def commit_file(path: Path, text: str) -> None:
    """Write a file atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def load_done(out: Path) -> dict[str, LearnerResult]:
    """Learners already graded in ``out`` (a kill -9 leaves whole files only)."""
    done = {}
    for path in sorted((out / ".learners").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            checks = [CheckResult(**{**c, "schedule": timeline.checked_data(c.get("schedule"))}) for c in data.pop("checks")]
            done[data["learner"]] = LearnerResult(checks=checks, **data)
        except (ValueError, TypeError, KeyError):
            continue
    return done


def other_exercises(out: Path, plan_: Plan) -> list[str]:
    """The exercises graded into ``out`` before that ``plan_`` does not grade (a resume with
    another --exercise regrades everyone on the new set only)."""
    graded = {c.exercise for result in load_done(out).values() for c in result.checks}
    return sorted(graded - {e.name for e in plan_.exercises})


def grade(
    submissions: Path,
    out: Path,
    plan_: Plan,
    *,
    jobs: int,
    resume: bool = True,
    progress: Callable[[str], None] = lambda learner: None,
    executor: Executor | None = None,
) -> list[LearnerResult]:
    """Grade every learner in ``submissions``; results land in ``out/.learners`` one by one.

    ``executor`` runs ``grade_learner`` calls (a dask cluster's, say); default: ``jobs`` threads
    here, each driving one sandboxed child process.
    """
    entries = intake.entries(submissions, leave_out=out)
    sweep_scratch()  # what a grader killed mid-batch left in /tmp
    out.mkdir(mode=0o700, parents=True, exist_ok=True)  # grades are private: a jailed user of another batch reads nothing
    done = load_done(out) if resume else {}
    results: dict[str, LearnerResult] = {}
    hide = (submissions.resolve(), out.resolve())
    with scratch_folder("awaitlings-unpacked-") as scratch:
        todo = []
        for number, entry in enumerate(entries):
            sources, problems, graded = collect(plan_, entry, scratch / str(number))
            previous = done.get(entry.learner)
            if previous is not None and previous.key == key(plan_, sources) and not grader_failed(previous):
                results[entry.learner] = previous
                progress(entry.learner)
            else:
                todo.append((entry, sources, problems, hide, graded))
        pool = executor or ThreadPoolExecutor(max_workers=max(1, jobs))
        futures = [pool.submit(grade_learner, plan_, *item) for item in todo]
        try:
            for future in as_completed(futures):
                result = future.result()
                commit_file(out / ".learners" / f"{file_name(result.learner)}.json", json.dumps(asdict(result), indent=1))
                results[result.learner] = result
                progress(result.learner)
        except KeyboardInterrupt:  # Ctrl-C: what is saved stays saved; nothing else goes on running
            for future in futures:
                future.cancel()
            runner.stopping.set()
            raise
        finally:
            if executor is None:
                pool.shutdown(wait=True, cancel_futures=True)
            runner.stopping.clear()
    return [results[e.learner] for e in entries]


def file_name(learner: str) -> str:
    """A file name of its own for each learner id: the id itself when it is plain (ASCII letters,
    digits, ``-_.``), else a plain version of it and ``~`` and a hash, which no plain id holds."""
    if learner and len(learner) <= 80 and learner[0] != "." and all(c.isascii() and (c.isalnum() or c in "-_.") for c in learner):
        return learner
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in learner[:80]).lstrip(".")
    return f"{safe}~{hashlib.sha256(learner.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
