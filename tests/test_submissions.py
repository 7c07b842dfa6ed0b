"""Known wrong submissions fail the named checks (and visible tests) with the expected message;
known correct ones pass every check and every visible test."""

import pytest

from grader.runner import run_pytest
from submission_cases import all_cases

CASES = all_cases()


def _verdicts(case, tmp_path, folder: str) -> dict:
    """The records of ``folder/<exercise>`` (checks or visible tests) run on the case, by test name;
    for a correct case, every one passed."""
    case.install(tmp_path)
    outcome = run_pytest([f"{folder}/{case.exercise.name}"], tmp_path)
    verdicts = {r.nodeid.split("::")[-1]: r for r in outcome.records.values()}
    assert verdicts, f"nothing in {folder} reported:\n{outcome.output}"
    if case.all_pass:
        failed = {name: r.message for name, r in verdicts.items() if r.outcome != "passed"}
        assert not failed, f"a correct solution failed {folder}: {failed}"
    return verdicts


def _fail_as_said(verdicts, fails: dict[str, str]) -> None:
    for check, fragment in fails.items():
        for record in _named(verdicts, check):
            assert record.outcome == "failed", f"{record.check} passed a wrong solution"
            assert fragment in record.message, f"{record.check} said:\n{record.message}\nexpected to contain: {fragment}"
            assert "Traceback" not in record.message and "grader/" not in record.message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_known_submission(case, tmp_path):
    assert case.problem is None, case.problem
    verdicts = _verdicts(case, tmp_path, "checks")
    _fail_as_said(verdicts, case.fails)
    for check in case.passes:
        for record in _named(verdicts, check):
            assert record.outcome == "passed", f"{record.check}: {record.message}"


VISIBLE = [c for c in CASES if c.all_pass or c.visible_fails]


@pytest.mark.parametrize("case", VISIBLE, ids=[c.id for c in VISIBLE])
def test_visible_tests(case, tmp_path):
    """A correct submission passes the exercise's visible tests; a wrong one marked so fails the
    visible test named, with the message a learner would read."""
    _fail_as_said(_verdicts(case, tmp_path, "exercises"), case.visible_fails)


def _named(verdicts, check):
    """The records of a check: by its full name, or every case of a parametrized check."""
    found = [verdicts[check]] if check in verdicts else [r for name, r in verdicts.items() if name.startswith(check + "[")]
    assert found, f"no check named {check}; have {sorted(verdicts)}"
    return found


@pytest.mark.parametrize("exercise", sorted({c.exercise.name for c in CASES}))
def test_every_exercise_has_enough_cases(exercise):
    wrong = [c for c in CASES if c.exercise.name == exercise and not c.all_pass]
    right = [c for c in CASES if c.exercise.name == exercise and c.all_pass]
    assert len(wrong) >= 4 and len(right) >= 2, f"{exercise}: {len(wrong)} wrong, {len(right)} correct"
