"""Gradescope: ``results.json`` from a graded submission, and ``awaitlings gradescope-bundle``.

The format follows Gradescope's autograder specification
(gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format", "Controlling Test
Case Visibility", "Test case status", "Output String Formatting"): top level ``score``,
``execution_time`` (seconds), ``output``, ``output_format``, ``test_output_format``,
``test_name_format``, ``visibility``, ``stdout_visibility``, ``extra_data``, ``tests``; each
test ``score``, ``max_score``, ``status`` ("passed"/"failed"), ``name``, ``name_format``,
``number``, ``output``, ``output_format``, ``tags``, ``visibility``, ``extra_data``. The
spec has no top-level ``max_score`` and no per-test time: both go in ``extra_data``.

The bundle is the zip Gradescope builds its image from: ``setup.sh`` (run once, as root:
a Python >= 3.11 venv with the kit installed), ``run_autograder`` (run per submission:
``awaitlings ci`` on ``/autograder/submission``, always leaving a results.json) and ``kit/``,
the private checks pack (grader, checks, exercise metadata; no solution).
"""

from __future__ import annotations

from pathlib import Path

from grader import release

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
TOP_FIELDS = frozenset({
    "score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
    "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
})
TEST_FIELDS = frozenset({
    "score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
    "tags", "visibility", "extra_data",
})
FORMATS = ("text", "simple_format", "html", "md", "ansi")
SCRIPTS = ("setup.sh", "run_autograder")


def _overview(graded) -> str:
    from grader.ci import exercise_note

    lines = [f"awaitlings: {graded.score():g} / {graded.max_points():g} points", ""]
    for exercise in graded.plan.exercises:
        lines.append(f"{exercise.name}: {graded.score(exercise.name):g} / {graded.max_points(exercise.name):g}"
                     f" — {exercise_note(graded, exercise)}")
    shown = {e.name for e in graded.plan.exercises}  # an exercise's problem is its line's note already
    lines += [f"Not graded: {problem}" for name, problem in graded.result.problems.items() if name not in shown]
    return "\n".join(lines)


def results(graded, visibility: str = "visible") -> dict:
    """results.json for one graded submission (a ``grader.ci.Graded``)."""
    from grader.ci import line_of, titles

    tests, named = [], titles(graded)
    for exercise in graded.plan.exercises:
        checks = [c for c in graded.result.checks if c.exercise == exercise.name]
        for index, check in enumerate(checks, 1):
            extra = {"exercise": check.exercise, "check": check.check, "outcome": check.outcome,
                     "execution_time": round(check.duration, 3)}
            line = line_of(check.message, exercise.filename)
            if line is not None and exercise.name not in graded.untouched:
                extra["line"] = line
            tests.append({
                "name": named[check.exercise, check.check],
                "number": f"{int(exercise.number)}.{index}",
                "score": check.points,
                "max_score": check.max_points,
                "status": "passed" if check.outcome == "passed" else "failed",
                "output": check.message if check.outcome != "passed" else "",
                "output_format": "text",
                "tags": [exercise.name],
                "visibility": visibility,
                "extra_data": extra,
            })
    return {
        "score": graded.score(),
        "execution_time": round(graded.seconds),
        "output": _overview(graded),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "extra_data": {"max_score": graded.max_points(), "learner": graded.result.learner},
        "tests": tests,
    }


def error_results(message: str, visibility: str = "visible") -> dict:
    """results.json when nothing could be graded: 0 points and the reason, shown to the learner."""
    return {
        "score": 0,
        "output": f"The autograder could not grade this submission: {message}",
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "extra_data": {"error": message},
        "tests": [],
    }


def bundle_files(root: Path, only: list[str] | None = None, visibility: str = "visible") -> tuple[dict[str, bytes], list[str]]:
    """The autograder zip's files, and the exercises it grades."""
    exercises, _ = release.releasable(root, only)
    if not exercises:
        raise release.ReleaseError("no exercise is complete enough to grade on Gradescope")
    files = {f"kit/{name}": data for name, data in release.checks_files(root, exercises).items()}
    for script in SCRIPTS:
        text = (release.TEMPLATES / f"gradescope-{script}").read_text(encoding="utf-8")
        files[script] = text.replace("{{VISIBILITY}}", visibility).replace(
            "{{EXERCISES}}", " ".join(e.number for e in exercises)).encode()
    return files, [e.name for e in exercises]


def write_bundle(root: Path, out: Path, only: list[str] | None = None, visibility: str = "visible") -> list[str]:
    """Write the Gradescope autograder zip; returns the exercises it grades."""
    files, exercises = bundle_files(root, only, visibility)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(release.zip_bytes(files, executable=frozenset(SCRIPTS)))
    return exercises
