"""`awaitlings gradescope-bundle`: the zip, and its run_autograder grading a submission folder end to end.

A temporary folder stands in for /autograder (AUTOGRADER_ROOT), and this interpreter for the
venv setup.sh would make (AWAITLINGS_PYTHON): run_autograder then runs the bundled grader.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from autograding_checks import FIRST_THREE, REPO, check_gradescope, leaks, secret_lines

from grader import ci, gradescope

SOLUTIONS = REPO / "solutions"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    exercises = gradescope.write_bundle(REPO, path, FIRST_THREE)
    return path, exercises


def test_the_bundle_is_deterministic_and_holds_no_solution(bundle, tmp_path):
    path, exercises = bundle
    again = tmp_path / "again.zip"
    gradescope.write_bundle(REPO, again, FIRST_THREE)
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(path) as zipped:
        infos = {i.filename: i for i in zipped.infolist()}
        texts = {name: zipped.read(name).decode("utf-8", "replace") for name in infos}
    assert list(infos) == sorted(infos)
    for script in ("setup.sh", "run_autograder"):  # at the root of the archive, executable
        assert infos[script].external_attr >> 16 & 0o111
    assert {i.date_time for i in infos.values()} == {(1980, 1, 1, 0, 0, 0)}
    assert "kit/pyproject.toml" in infos and "kit/grader/runner.py" in infos
    for name in exercises:
        assert any(n.startswith(f"kit/checks/{name}/test_") for n in infos)
        assert f"kit/exercises/{name}/exercise.toml" in infos
    assert not [n for n in infos if n.startswith(("kit/solutions", "solutions", "kit/tests", "kit/examples"))]
    assert leaks(texts, secret_lines(REPO, exercises, kinds=("solutions",))) == []
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", "-c", texts[script]], check=False, timeout=30).returncode == 0


def _autograder(bundle, tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle[0]) as zipped:
        zipped.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    (root / "submission").mkdir()
    return root


def _run(root, python=sys.executable):
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AWAITLINGS_PYTHON": python}
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "AWAITLINGS_CHECKS"):
        env.pop(name, None)
    return subprocess.run([root / "source" / "run_autograder"], cwd=root, env=env, capture_output=True, text=True,
                          check=False, timeout=240)


def test_run_autograder_grades_a_submission_folder(bundle, tmp_path):
    root = _autograder(bundle, tmp_path)
    plan = ci.collect_plan(REPO, FIRST_THREE)
    by_name = {e.name: e for e in plan.exercises}
    # 01 uploaded as a bare file, 03 in its folder with fetch_all_settled broken, no 02 at all
    shutil.copy(SOLUTIONS / "01_coroutines" / by_name["01_coroutines"].filename, root / "submission")
    (root / "submission" / "03_gather").mkdir()
    source = (SOLUTIONS / "03_gather" / "gather.py").read_text()
    source += "\n\nasync def fetch_all_settled(fetch, items):\n    raise ValueError('not yet')\n"
    (root / "submission" / "03_gather" / "gather.py").write_text(source)
    done = _run(root)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    check_gradescope(data)
    first = sum(c.max_points for c in plan.checks["01_coroutines"])
    expected = first + sum(c.max_points for c in plan.checks["03_gather"] if "settled" not in c.check)
    assert data["score"] == expected
    assert data["extra_data"]["max_score"] == sum(c.max_points for checks in plan.checks.values() for c in checks)
    missing = [t for t in data["tests"] if t["tags"] == ["02_event_loop"]]
    assert missing and all(t["score"] == 0 and "no 02_event_loop/interleave.py" in t["output"] for t in missing)
    for overview in (data["output"], done.stdout):  # once, on the exercise's own line
        assert overview.count("no 02_event_loop/interleave.py") == 1, overview
    settled = [t for t in data["tests"] if t["tags"] == ["03_gather"] and t["status"] == "failed"]
    assert settled and all("ValueError" in t["output"] for t in settled)
    assert {t["visibility"] for t in data["tests"]} == {"visible"}
    shown = io.StringIO(json.dumps(data) + done.stdout + done.stderr).getvalue()
    assert leaks({"results": shown}, secret_lines(REPO, [e.name for e in plan.exercises])) == []


def test_run_autograder_always_leaves_results(bundle, tmp_path):
    root = _autograder(bundle, tmp_path)
    shutil.rmtree(root / "submission")
    done = _run(root)  # the grader runs, and finds no submission
    assert done.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    check_gradescope(data)
    assert data["score"] == 0 and "does not exist" in data["output"]
    (root / "submission").mkdir()
    done = _run(root, python=str(tmp_path / "no-python"))  # the grader cannot even start
    assert done.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text())
    check_gradescope(data)
    assert data["score"] == 0 and "could not run" in data["output"]
