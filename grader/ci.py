"""``awaitlings ci``: grade one submission against the hidden checks, for CI and Gradescope.

It grades with the batch grader's sandboxed runner (``batch.grade_learner``) and writes:

- ``$GITHUB_STEP_SUMMARY``: a Markdown table (exercise, points, the first failing message),
  then each failing check's message;
- ``::error file=...,line=N::`` annotations where a check names a line of the learner's file;
- ``$GITHUB_OUTPUT``: ``result``, GitHub Classroom's autograding result (base64 JSON, points
  per check), and ``score`` / ``max_score``;
- ``OUT/results.json`` in Gradescope's format and ``OUT/junit.xml`` for any other CI.

Both GitHub files are per-step files: they are rewritten whole, so nothing the graded code
wrote into them survives. Nothing printed or written holds a check's source: only the
checks' titles and the teaching messages the checks produce.

Exit status: 0 graded, whatever the score; 1 graded, but below ``--fail-under``; 2 the
grader could not run (no submission folder, no or broken hidden checks); the outputs then
carry that message with status "error".
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import secrets
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from grader import batch, catalog, intake, names, stubs
from grader.runner import run_pytest

EXIT_GRADED, EXIT_BELOW, EXIT_FAILED = 0, 1, 2
ANNOTATION_LIMIT = 10  # GitHub shows at most 10 error annotations of one step
CELL_LIMIT = 160  # characters of a message in a table cell
CLASSROOM_MESSAGE_LIMIT = 1000  # characters of a message in the Classroom result (step outputs are capped at 1 MB)
# Characters of the encoded Classroom result: the reporter step gets it in one environment variable,
# and Linux refuses to start a process with one over 128 KiB (MAX_ARG_STRLEN), so the step would fail
# with "Argument list too long" and Classroom would record nothing. Messages are shortened to fit.
CLASSROOM_RESULT_LIMIT = 100_000
CLASSROOM_SHORTER = (CLASSROOM_MESSAGE_LIMIT, 300, 100, 0)  # message limits tried in turn; 0: no message
NOT_STARTED = "not started: every function still raises NotImplementedError"
ALL_PASS = "every check passes"


class CIError(Exception):
    """The grader cannot run; the message is one line saying why and what to do."""


@dataclass
class Graded:
    plan: batch.Plan
    result: batch.LearnerResult
    files: dict[str, str]  # exercise -> the learner's file, as a path relative to the workspace
    untouched: set[str]  # exercises whose file is still the stub
    seconds: float

    def max_points(self, exercise: str | None = None) -> float:
        return sum(c.max_points for e in self.plan.exercises if exercise in (None, e.name) for c in self.plan.checks[e.name])

    def score(self, exercise: str | None = None) -> float:
        return self.result.score(exercise)

    def exercise(self, name: str) -> catalog.Exercise:
        return next(e for e in self.plan.exercises if e.name == name)


# The hidden checks

def open_checks(source: Path, scratch: Path) -> Path:
    """The folder holding ``checks/`` and ``exercises/*/exercise.toml``: ``source`` itself or its archive unpacked."""
    if not source.exists():
        raise CIError(f"the hidden checks are not at {source}: pass --checks with the checks folder or archive")
    source = source.resolve()  # pytest runs in it: a relative path would point elsewhere
    root = source
    if source.is_file():
        try:
            root = intake.unpack(intake.Entry("checks", source), scratch / "checks", keep=None)
        except intake.IntakeError as error:
            raise CIError(f"the hidden checks archive cannot be read: {error}") from None
        inner = [p for p in root.iterdir() if not p.name.startswith(".")]
        if len(inner) == 1 and inner[0].is_dir() and not (root / "checks").is_dir():
            root = inner[0]  # the archive's one top folder
    if not (root / "checks").is_dir() or not (root / "exercises").is_dir():
        raise CIError(f"{source} holds no checks/ and exercises/ folders: it is not a checks pack or an awaitlings kit")
    return root


def collect_plan(root: Path, only: list[str] | None = None) -> batch.Plan:
    """The exercises and their graded checks, found by collecting the checks (no solution needed)."""
    try:
        wanted = names.folder_names(root, only)
    except names.UnknownExercise as error:
        raise CIError(f"the hidden checks have {error}") from None
    folders = [f for f in catalog.folders(root) if wanted is None or f.name in wanted]
    folders = [f for f in folders if (root / "checks" / f.name).is_dir()]
    try:
        exercises = [catalog.load(f) for f in folders]
    except ValueError as error:
        raise CIError(f"broken exercise metadata in the hidden checks: {error}") from None
    if not exercises:
        raise CIError(f"no checks/NN_topic folder in {root}")
    outcome = run_pytest(["--collect-only", *(f"checks/{e.name}" for e in exercises)], root / "exercises", root=root)
    checks: dict[str, list] = {e.name: [] for e in exercises}
    for record in outcome.records.values():
        if record.max_points and record.exercise in checks:
            checks[record.exercise].append(record)
    empty = [name for name, found in checks.items() if not found]
    if empty:
        # pytest's output is not shown: it may quote a check's source.
        raise CIError(
            f"no graded check could be collected for {', '.join(empty)} (pytest exit {outcome.returncode}): "
            f"run `pytest checks/{empty[0]} --collect-only` in the checks folder to see why"
        )
    return batch.Plan(root, exercises, checks)


# The learner's files

def _loose(folder: Path, exercise: catalog.Exercise) -> Path | None:
    """A learner file uploaded without its NN_topic folder (Gradescope takes single files)."""
    found = intake.files_named(folder, exercise.filename)
    return next((p for p in found if not catalog.EXERCISE_DIR.match(p.parent.name)), None)


def learner_files(plan: batch.Plan, folder: Path) -> tuple[dict[str, Path], dict[str, str], dict[str, str]]:
    """Each exercise's file, its source, and a one-line problem for what cannot be graded."""
    paths, sources, problems = {}, {}, {}
    for exercise in plan.exercises:
        try:
            path = next(iter(intake.modules_of(folder, exercise)), None) or _loose(folder, exercise)
        except intake.IntakeError as error:
            problems[exercise.name] = str(error)
            continue
        if path is None:
            problems[exercise.name] = intake.missing(folder, exercise)
            continue
        paths[exercise.name] = path
        try:
            sources[exercise.name] = intake.read_module(path)
        except intake.IntakeError as error:
            problems[exercise.name] = str(error)
    return paths, sources, problems


def shown_path(path: Path, workspace: Path) -> str:
    """A path as GitHub wants it in an annotation: relative to the repository's root."""
    relative = os.path.relpath(path.resolve(), workspace.resolve())
    return Path(path).as_posix() if relative.startswith("..") else Path(relative).as_posix()


def hidden_folders(*places: Path) -> tuple[Path, ...]:
    """Folders a jailed learner run must not see (the workspace, the checks, the outputs): the
    sources it grades are copied into its sandbox. A folder holding Python, the grader or the
    temporary folder cannot be hidden and is left out."""
    needed = [Path(sys.prefix).resolve(), Path(tempfile.gettempdir()).resolve(), Path(__file__).resolve().parent]
    found = []
    for place in places:
        folder = place.resolve()
        folder = folder if folder.is_dir() else folder.parent
        if folder.is_dir() and folder not in found and not any(n.is_relative_to(folder) for n in needed):
            found.append(folder)
    # Only the outermost: once a folder is covered, a folder inside it is no mount point any more.
    return tuple(f for f in found if not any(f != o and f.is_relative_to(o) for o in found))


def grade(plan: batch.Plan, submission: Path, learner: str, workspace: Path, hide: tuple[Path, ...] = ()) -> Graded:
    """Grade one submission folder or archive with the batch grader's sandboxed runner."""
    started = time.monotonic()
    hide = hidden_folders(submission, workspace, *hide)
    with tempfile.TemporaryDirectory(prefix="awaitlings-ci-") as scratch:
        entry = intake.Entry(learner, submission)
        try:
            folder = intake.unpack(entry, Path(scratch) / "submission")
        except intake.IntakeError as error:
            result = batch.grade_learner(plan, entry, {}, {"*": str(error)}, hide=hide)
            return Graded(plan, result, {}, set(), time.monotonic() - started)
        paths, sources, problems = learner_files(plan, folder)
        result = batch.grade_learner(plan, entry, sources, problems, hide=hide)
    untouched = {e.name for e in plan.exercises if e.name in sources and stubs.untouched(sources[e.name], e)}
    files = {name: shown_path(path, workspace) for name, path in paths.items()}
    return Graded(plan, result, files, untouched, time.monotonic() - started)


# What a message says about the learner's code

def line_of(message: str, filename: str) -> int | None:
    """The line of the learner's file a check's message names (``gather.py:12``), if any.

    Records carry no line field: the harness writes ``<file>:<line>`` into its messages (a
    syntax or import error, a blocking call, an exception raised, a held loop, a stub's
    NotImplementedError), and this is the one place that reads it back.
    """
    found = re.search(rf"(?<![\w./-]){re.escape(filename)}:(\d+)\b", message)
    return int(found.group(1)) if found else None


def titles(graded: Graded) -> dict[tuple[str, str], str]:
    """Each check's name for the learner: its title, with its parameters where a title repeats."""
    seen: dict[tuple[str, str], int] = {}
    for check in graded.result.checks:
        seen[check.exercise, check.title] = seen.get((check.exercise, check.title), 0) + 1
    named = {}
    for check in graded.result.checks:
        suffix = check.check[check.check.find("["):] if "[" in check.check else ""
        repeated = seen[check.exercise, check.title] > 1 and suffix
        named[check.exercise, check.check] = f"{check.title} {suffix}" if repeated else check.title
    return named


def first_line(message: str, limit: int = CELL_LIMIT) -> str:
    line = next((text.strip() for text in message.splitlines() if text.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _points(value: float) -> str:
    return f"{value:g}"


def exercise_note(graded: Graded, exercise: catalog.Exercise) -> str:
    """The table's last cell: the first failing message, or why nothing ran, or that all passed."""
    checks = [c for c in graded.result.checks if c.exercise == exercise.name]
    failing = [c for c in checks if c.outcome != "passed"]
    if not failing:
        return ALL_PASS
    if exercise.name in graded.untouched:
        return NOT_STARTED
    return first_line(failing[0].message or failing[0].outcome)


# GitHub: the step summary, annotations and the workflow-command escaping

def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|")


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def summary_markdown(graded: Graded) -> str:
    named = titles(graded)
    lines = [
        f"## awaitlings: {_points(graded.score())} / {_points(graded.max_points())} points",
        "",
        "| exercise | points | first failing message |",
        "| --- | ---: | --- |",
    ]
    for exercise in graded.plan.exercises:
        note = exercise_note(graded, exercise)
        mark = "✅" if note == ALL_PASS else "⬜" if note == NOT_STARTED else "❌"
        lines.append(
            f"| {exercise.name} | {_points(graded.score(exercise.name))} / {_points(graded.max_points(exercise.name))} "
            f"| {mark} {_cell(note)} |"
        )
    for problem in graded.result.problems.get("*", "").splitlines():
        lines += ["", f"**Not graded:** {_cell(problem)}"]
    for exercise in graded.plan.exercises:
        failing = [c for c in graded.result.checks if c.exercise == exercise.name and c.outcome != "passed"]
        if not failing or exercise.name in graded.untouched:
            continue
        where = graded.files.get(exercise.name, exercise.filename)
        lines += ["", f"<details><summary>{exercise.name}: {len(failing)} failing check(s) in {html.escape(where)}</summary>", ""]
        for check in failing:
            lines.append(f"- ❌ **{_cell(named[check.exercise, check.check])}** ({_points(check.points)} / {_points(check.max_points)})")
            if check.message:
                fence = _fence(check.message)
                lines += ["", f"  {fence}text", *(f"  {text}" for text in check.message.splitlines()), f"  {fence}", ""]
        if exercise.hints:
            lines += ["", f"Hint: {_cell(exercise.hints[0])}"]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def escape_data(text: str) -> str:
    """A workflow command's message (actions/toolkit, packages/core/src/command.ts, escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (command.ts, escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(graded: Graded) -> list[str]:
    """``::error`` commands for failing checks that name a line of the learner's file, one per place and message."""
    seen, found, named = set(), [], titles(graded)
    for check in graded.result.checks:
        if check.outcome == "passed" or check.exercise in graded.untouched or check.exercise not in graded.files:
            continue
        exercise = graded.exercise(check.exercise)
        line = line_of(check.message, exercise.filename)
        if line is None or (check.exercise, line) in seen:
            continue  # one annotation per line: the first failing check that names it
        seen.add((check.exercise, line))
        title = f"{check.exercise}: {named[check.exercise, check.check]}"
        found.append(
            f"::error file={escape_property(graded.files[check.exercise])},line={line},"
            f"title={escape_property(title)}::{escape_data(check.message.strip())}"
        )
    return found


# GitHub Classroom's autograding reporter

def classroom_status(outcome: str) -> str:
    return "pass" if outcome == "passed" else "fail"


def classroom_result(graded: Graded, message_limit: int = CLASSROOM_MESSAGE_LIMIT) -> dict:
    """The result a Classroom runner step hands to classroom-resources/autograding-grading-reporter.

    Format, read from the reporter and its runners (github.com/classroom-resources):
    autograding-grading-reporter src/main.js decodes ``<RUNNER>_RESULTS`` as base64 JSON and fails
    the step when ``status`` is "fail" or "error"; src/notify-classroom.js adds up each test's
    ``score`` against ``max_score`` (the points Classroom records: partial, not all-or-nothing);
    src/console-results.js prints ``name``, ``status``, ``message``, ``line_no``, ``test_code``.
    autograding-io-grader src/main.js writes ``{version, status, max_score, tests: [{name, status,
    message, test_code, filename, line_no, duration, score}]}`` as ``result`` (base64);
    autograding-python-grader runner/data.py has ``duration`` in seconds. ``test_code`` stays
    empty here: it would show a hidden check's source. Messages are cut at ``message_limit``
    characters (0: none); the step summary and results.json keep them whole.
    """
    tests, named = [], titles(graded)
    for check in graded.result.checks:
        exercise = graded.exercise(check.exercise)
        line = None if check.exercise in graded.untouched else line_of(check.message, exercise.filename)
        message = check.message.strip() if message_limit else ""
        if len(message) > message_limit:
            message = message[: message_limit - 1] + "…"
        tests.append({
            "name": f"{check.exercise}: {named[check.exercise, check.check]}",
            "status": classroom_status(check.outcome),
            "message": message or None,
            "test_code": "",
            "filename": graded.files.get(check.exercise, ""),
            "line_no": line or 0,
            "duration": round(check.duration, 3),
            "score": check.points,
        })
    every = all(t["status"] == "pass" for t in tests)
    return {"version": 1, "status": "pass" if every else "fail", "max_score": graded.max_points(), "tests": tests}


def classroom_error(message: str) -> dict:
    return {"version": 1, "status": "error", "message": message, "max_score": 0, "tests": [
        {"name": "awaitlings grader", "status": "error", "message": message, "test_code": "",
         "filename": "", "line_no": 0, "duration": 0, "score": 0}]}


def encode(result: dict) -> str:
    return base64.b64encode(json.dumps(result, separators=(",", ":")).encode("utf-8")).decode("ascii")


def classroom_output(graded: Graded) -> str:
    """The encoded Classroom result, its messages shortened until it fits in one environment variable."""
    for limit in CLASSROOM_SHORTER:
        encoded = encode(classroom_result(graded, limit))
        if len(encoded) <= CLASSROOM_RESULT_LIMIT:
            break
    return encoded


# JUnit XML

def junit_xml(graded: Graded) -> str:
    suites = ET.Element("testsuites", name="awaitlings", tests=str(len(graded.result.checks)))
    named = titles(graded)
    for exercise in graded.plan.exercises:
        checks = [c for c in graded.result.checks if c.exercise == exercise.name]
        failing = [c for c in checks if c.outcome != "passed"]
        suite = ET.SubElement(suites, "testsuite", name=exercise.name, tests=str(len(checks)),
                              failures=str(len(failing)), errors="0", skipped="0",
                              time=f"{sum(c.duration for c in checks):.3f}")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="points", value=_points(graded.score(exercise.name)))
        ET.SubElement(properties, "property", name="max_points", value=_points(graded.max_points(exercise.name)))
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=exercise.name, name=named[check.exercise, check.check],
                                 time=f"{check.duration:.3f}")
            if check.outcome != "passed":
                failure = ET.SubElement(case, "failure", message=first_line(check.message or check.outcome, 500),
                                        type=check.outcome.replace(" ", "_"))
                failure.text = check.message
                line = line_of(check.message, exercise.filename)
                if line and exercise.name in graded.files and exercise.name not in graded.untouched:
                    case.set("file", graded.files[exercise.name])
                    case.set("line", str(line))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# The command

def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    batch.commit_file(path, text)


def _github_files(summary: str, outputs: dict[str, str]) -> None:
    """Rewrite this step's summary and outputs files whole (they are per step)."""
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        Path(os.environ["GITHUB_STEP_SUMMARY"]).write_text(summary, encoding="utf-8")
    if os.environ.get("GITHUB_OUTPUT"):
        Path(os.environ["GITHUB_OUTPUT"]).write_text("".join(f"{k}={v}\n" for k, v in outputs.items()), encoding="utf-8")


def _in_github() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _print_report(graded: Graded) -> None:
    """The plain summary on stdout; on GitHub, workflow commands are off while learner text prints."""
    token = secrets.token_hex(16)
    if _in_github():
        print(f"::stop-commands::{token}")
    print(f"awaitlings: {_points(graded.score())} / {_points(graded.max_points())} points")
    width = max(len(e.name) for e in graded.plan.exercises)
    for exercise in graded.plan.exercises:
        points = f"{_points(graded.score(exercise.name))}/{_points(graded.max_points(exercise.name))}"
        print(f"  {exercise.name:<{width}}  {points:>7}  {exercise_note(graded, exercise)}")
    for name, problem in graded.result.problems.items():
        if name not in {e.name for e in graded.plan.exercises}:  # an exercise's problem is its row's note already
            print(f"  not graded: {problem}")
    if _in_github():
        print(f"::{token}::")
        for command in annotations(graded)[:ANNOTATION_LIMIT]:
            print(command)


def report(graded: Graded, out: Path, results: Path | None, visibility: str) -> None:
    """Every output of a graded submission."""
    from grader import gradescope

    _write(results or out / "results.json", json.dumps(gradescope.results(graded, visibility), indent=1) + "\n")
    _write(out / "junit.xml", junit_xml(graded))
    outputs = {"result": classroom_output(graded), "score": _points(graded.score()),
               "max_score": _points(graded.max_points())}
    _github_files(summary_markdown(graded), outputs)
    try:
        _print_report(graded)
    except OSError:  # stdout closed (a pipe that ended): the files above carry every result
        pass


def report_error(message: str, out: Path, results: Path | None, visibility: str) -> None:
    """The outputs of a run that could not grade: each says why, with status "error"."""
    from grader import gradescope

    message = " ".join(message.split())  # one line (tarfile's errors, for one, span several)

    try:
        _write(results or out / "results.json", json.dumps(gradescope.error_results(message, visibility), indent=1) + "\n")
    except OSError:
        pass  # the message still reaches stderr
    _github_files(f"## awaitlings could not grade\n\n{_cell(message)}\n", {"result": encode(classroom_error(message))})
    if _in_github():
        print(f"::error title=awaitlings could not grade::{escape_data(message)}")
    print(f"awaitlings ci: {message}", file=sys.stderr)


def default_submission() -> Path:
    return Path("exercises") if Path("exercises").is_dir() else Path(".")


def run(checks: Path | None, submission: Path | None, *, only: list[str] | None, out: Path, results: Path | None,
        visibility: str, fail_under: float | None, learner: str | None) -> int:
    """``awaitlings ci``; returns the exit status (see the module's docstring)."""
    submission = submission or default_submission()
    source = checks or (Path(os.environ["AWAITLINGS_CHECKS"]) if os.environ.get("AWAITLINGS_CHECKS") else None)
    if source is None and (catalog.KIT_ROOT / "checks").is_dir():
        source = catalog.KIT_ROOT
    learner = learner or os.environ.get("GITHUB_REPOSITORY") or "submission"
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd())
    with tempfile.TemporaryDirectory(prefix="awaitlings-checks-") as scratch:
        try:
            if source is None:
                raise CIError("no hidden checks: pass --checks (a checks folder or archive) or set AWAITLINGS_CHECKS")
            if not submission.exists():
                raise CIError(f"the submission {submission} does not exist: pass --submission with the learner's folder")
            plan = collect_plan(open_checks(source, Path(scratch)), only)
        except CIError as error:
            report_error(str(error), out, results, visibility)
            return EXIT_FAILED
        try:
            graded = grade(plan, submission, learner, workspace, hide=(source, out))
            report(graded, out, results, visibility)
        except Exception as error:  # noqa: BLE001 - a fault of the grader or the machine, never of the submission
            traceback.print_exc()  # for the instructor; the grader's own code, no check source
            report_error(f"the grader failed: {type(error).__name__}: {error}", out, results, visibility)
            return EXIT_FAILED
    maximum = graded.max_points()
    if fail_under is not None and maximum and 100 * graded.score() / maximum < fail_under:
        print(f"awaitlings ci: {100 * graded.score() / maximum:.0f}% is below --fail-under {fail_under:g}%", file=sys.stderr)
        return EXIT_BELOW
    return EXIT_GRADED
