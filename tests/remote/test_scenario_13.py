"""Judge-side scenarios (`run_scenario`): exercise 13's visible tests of fetch_settled and fetch_all,
unchanged, judge the solution and every known submission of 13 in a learner process, and must give
the verdicts the kit's in-process Learner gives."""

import importlib.util
import shutil
from pathlib import Path

import pytest

from grader import catalog
from grader.failure import CheckFailed
from grader.learner import Learner
from grader.remote.learner import RemoteLearner

KIT = Path(__file__).resolve().parents[2]
EXERCISE = catalog.find("13_error_handling")
SUBMISSIONS = [KIT / "solutions" / EXERCISE.name / EXERCISE.filename,
               *sorted((KIT / "tests" / "submissions" / EXERCISE.name).glob("*.py"))]


def visible_tests():
    spec = importlib.util.spec_from_file_location("visible_13", KIT / "exercises" / EXERCISE.name / "test_errors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: test for name, test in vars(module).items() if name.startswith("test_fetch")}


def verdicts(learner) -> dict[str, str]:
    found = {}
    for name, test in visible_tests().items():
        try:
            test(learner)
        except CheckFailed:
            found[name] = "failed"
        else:
            found[name] = "passed"
    return found


@pytest.mark.parametrize("path", SUBMISSIONS, ids=[p.stem if p.parent.name != EXERCISE.name or "submissions" in str(p)
                                                     else "solution" for p in SUBMISSIONS])
def test_scenarios_judged_apart_agree_with_one_process(path, tmp_path, server):
    folder = tmp_path / EXERCISE.name
    folder.mkdir()
    shutil.copy(path, folder / EXERCISE.filename)
    here = verdicts(Learner(EXERCISE, folder, {}))
    apart = verdicts(RemoteLearner(EXERCISE, folder, server))
    assert len(here) == 6
    assert apart == here
