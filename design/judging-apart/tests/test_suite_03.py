"""Exercise 03's hidden check suite, unchanged, judging learners in another process: every known
submission of 03 must get the verdicts its header states, as it does in-process (tests/test_submissions.py)."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from grader import catalog
from grader.failure import CheckFailed
from oop.forkserver import ForkServer
from oop.remote_learner import RemoteLearner

KIT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(KIT / "tests"))
from submission_cases import Case, parse  # noqa: E402

EXERCISE = catalog.find("03_gather")
CHECKS = KIT / "checks" / "03_gather" / "test_gather_checks.py"
CASES = [Case(EXERCISE, KIT / "solutions" / "03_gather" / "gather.py", all_pass=True)] + [
    parse(path) for path in sorted((KIT / "tests" / "submissions" / "03_gather").glob("*.py"))
]


def check_functions():
    """(name as pytest shows it, function, keyword arguments) for every check of the suite."""
    spec = importlib.util.spec_from_file_location("remote_checks_03", CHECKS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, function in vars(module).items():
        if not name.startswith("test_") or not callable(function):
            continue
        marks = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            yield name, function, {}
            continue
        (argname, values), ids = marks[0].args, marks[0].kwargs.get("ids", [])
        for index, value in enumerate(values):
            yield f"{name}[{ids[index] if ids else value}]", function, {argname: value}


@pytest.fixture(scope="module")
def server():
    with ForkServer() as running:
        yield running


def verdicts(case: Case, folder: Path, server) -> dict[str, tuple[str, str]]:
    (folder / EXERCISE.name).mkdir(parents=True)
    shutil.copy(case.path, folder / EXERCISE.name / EXERCISE.filename)
    learner = RemoteLearner(EXERCISE, folder / EXERCISE.name, server)
    found = {}
    for name, function, params in check_functions():
        try:
            function(learner, **params)
        except CheckFailed as failure:
            found[name] = ("failed", str(failure))
        else:
            found[name] = ("passed", "")
    return found


# Right verdicts, but a message that names the learner's object by its type, which the judge
# only sees as an Opaque (type name and repr): expect.py does not read Opaque yet.
OPAQUE_MESSAGES = {"always_equal", "forgot_await", "returns_unawaited_gather", "tasks_not_awaited"}


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
    if name_of(case) in OPAQUE_MESSAGES:
        assert worded, "its message is right now: take it out of OPAQUE_MESSAGES"
    else:
        assert not worded, "\n".join(worded)
