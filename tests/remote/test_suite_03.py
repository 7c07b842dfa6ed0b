"""Exercise 03's hidden check suite, unchanged, judging learners in another process: every known
submission of 03 must get the verdicts its header states, as it does in-process (tests/test_submissions.py)."""

import shutil
import sys
from pathlib import Path

import pytest

from grader import catalog
from grader.remote.learner import RemoteLearner

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT / "tests"))
from submission_cases import Case, parse  # noqa: E402
from check_suites import outcomes  # noqa: E402

EXERCISE = catalog.find("03_gather")
CHECKS = KIT / "checks" / "03_gather" / "test_gather_checks.py"
CASES = [Case(EXERCISE, KIT / "solutions" / "03_gather" / "gather.py", all_pass=True)] + [
    parse(path) for path in sorted((KIT / "tests" / "submissions" / "03_gather").glob("*.py"))
]


def verdicts(case: Case, folder: Path, server) -> dict[str, tuple[str, str]]:
    (folder / EXERCISE.name).mkdir(parents=True)
    shutil.copy(case.path, folder / EXERCISE.name / EXERCISE.filename)
    return outcomes(RemoteLearner(EXERCISE, folder / EXERCISE.name, server), CHECKS)


def name_of(case: Case) -> str:
    return "solution" if case.path.parent.name != "03_gather" or "submissions" not in str(case.path) else case.path.stem


@pytest.mark.parametrize("case", CASES, ids=[name_of(c) for c in CASES])
def test_known_submission_judged_apart(case, tmp_path, server):
    found = verdicts(case, tmp_path, server)
    wrong, worded = [], []
    if case.all_pass:
        wrong += [f"{name} failed a correct solution: {message}" for name, (outcome, message) in found.items() if outcome != "passed"]
    for check, fragment in case.fails.items():
        named = [(check, found[check])] if check in found else [(n, v) for n, v in found.items() if n.startswith(check + "[")]
        assert named, f"no check named {check}"
        for name, (outcome, message) in named:
            if outcome != "failed":
                wrong.append(f"{name} passed a wrong solution")
            elif fragment not in message:
                worded.append(f"{name} said:\n{message}\nexpected to contain: {fragment}")
    for check in case.passes:
        wrong += [f"{n}: {m}" for n, (o, m) in found.items() if (n == check or n.startswith(check + "[")) and o != "passed"]
    assert not wrong, "\n".join(wrong)
    assert not worded, "\n".join(worded)
