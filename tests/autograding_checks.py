"""Helpers of the release, CI and Gradescope tests: leak scans and the outputs' documented formats."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from grader import catalog

REPO = catalog.KIT_ROOT
FIRST_THREE = ["01", "02", "03"]
SHORTEST_SECRET = 16  # characters of a stripped source line: shorter lines (`return x`) are too common to tell


def _lines(paths) -> set[str]:
    found = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if len(line.strip()) >= SHORTEST_SECRET:
                found.add(line.strip())
    return found


def secret_lines(root: Path = REPO, names: list[str] | None = None, kinds=("solutions", "checks")) -> set[str]:
    """Lines of the reference solutions and hidden checks that no public file of the kit has.

    Public: each exercise's folder (stub, README, hints, visible tests) and the grader package.
    """
    names = names or [f.name for f in catalog.folders(root)]
    public = _lines(p for n in names for p in (root / "exercises" / n).rglob("*") if p.is_file())
    public |= _lines((root / "grader").rglob("*.py"))
    secret = _lines(p for kind in kinds for n in names for p in (root / kind / n).rglob("*.py") if p.is_file())
    return secret - public


def leaks(files: dict[str, str], secrets: set[str]) -> list[str]:
    """``file: line`` for each secret line found in ``files`` (name -> text)."""
    return [f"{name}: {line.strip()}" for name, text in files.items() for line in text.splitlines() if line.strip() in secrets]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# Gradescope's results.json, as documented in the autograder specification
# (gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format", "Controlling Test
# Case Visibility", "Test case status", "Output String Formatting"). Written out here, not
# imported from grader.gradescope, so the test checks the code against the documentation.
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                  "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                   "tags", "visibility", "extra_data"}
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
GRADESCOPE_FORMATS = {"text", "simple_format", "html", "md", "ansi"}


def check_gradescope(data: dict) -> None:
    """Fail unless ``data`` is a results.json that Gradescope's specification allows."""
    assert set(data) <= GRADESCOPE_TOP, set(data) - GRADESCOPE_TOP
    assert "score" in data or all("score" in t for t in data.get("tests", [])), "a score is required somewhere"
    assert isinstance(data.get("score", 0), (int, float))
    assert isinstance(data.get("execution_time", 0), (int, float))
    assert isinstance(data.get("output", ""), str) and isinstance(data.get("extra_data", {}), dict)
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in GRADESCOPE_VISIBILITY
    assert data.get("output_format", "text") in GRADESCOPE_FORMATS
    for test in data.get("tests", []):
        assert set(test) <= GRADESCOPE_TEST, set(test) - GRADESCOPE_TEST
        assert isinstance(test["name"], str) and test["name"]
        assert 0 <= test["score"] <= test["max_score"]
        assert test.get("status", "passed") in {"passed", "failed"}
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
        assert test.get("visibility", "visible") in GRADESCOPE_VISIBILITY
        assert test.get("output_format", "text") in GRADESCOPE_FORMATS
        assert isinstance(test.get("output", ""), str) and isinstance(test.get("tags", []), list)
    if data.get("tests"):
        assert data["score"] == sum(t["score"] for t in data["tests"])


def outputs(path: Path) -> dict[str, list[str]]:
    """A GITHUB_OUTPUT file's values, every value of a name in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        found.setdefault(name, []).append(value)
    return found


def classroom(path: Path) -> dict:
    """The Classroom result of a GITHUB_OUTPUT file, decoded as autograding-grading-reporter does
    (src/main.js: ``JSON.parse(Buffer.from(encoded, "base64"))``)."""
    values = outputs(path)["result"]
    assert len(values) == 1, values
    return json.loads(base64.b64decode(values[0], validate=True).decode("utf-8"))


def check_classroom(data: dict) -> None:
    """Fail unless ``data`` has what the reporter reads (src/main.js, notify-classroom.js, console-results.js)."""
    assert data["status"] in {"pass", "fail", "error"}
    assert isinstance(data["max_score"], (int, float)) and isinstance(data["tests"], list)
    for test in data["tests"]:
        assert {"name", "status", "message", "line_no", "score"} <= set(test)
        assert test["status"] in {"pass", "fail", "error"} and isinstance(test["line_no"], int)
        assert test["test_code"] == ""  # never a hidden check's source
