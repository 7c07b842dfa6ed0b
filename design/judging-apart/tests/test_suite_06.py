"""Exercise 06's hidden check suite, unchanged, judging the solution and every known submission of 06
in a learner process: each check must give what the kit's in-process Learner gives, verdict and
message, word for word. Its checks call the learner's function from a judge-side scenario, with
keyword arguments (``seconds=``, ``deadline=``), and read what is still pending from the judge's
``asyncio.all_tasks()``: there the learner's calls of fetch are the judge's tasks serving them."""

import shutil
from pathlib import Path

import pytest

from grader import catalog
from grader.learner import Learner
from oop.forkserver import ForkServer
from oop.remote_learner import RemoteLearner
from suites import outcomes

KIT = Path(__file__).resolve().parents[3]
EXERCISE = catalog.find("06_timeouts")
CHECKS = KIT / "checks" / EXERCISE.name / "test_timeouts_checks.py"
SUBMISSIONS = [KIT / "solutions" / EXERCISE.name / EXERCISE.filename,
               *sorted((KIT / "tests" / "submissions" / EXERCISE.name).glob("*.py"))]


@pytest.fixture(scope="module")
def server():
    with ForkServer() as running:
        yield running


@pytest.mark.parametrize("path", SUBMISSIONS, ids=["solution", *(p.stem for p in SUBMISSIONS[1:])])
def test_the_suite_judged_apart_says_what_it_says_in_one_process(path, tmp_path, server):
    folder = tmp_path / EXERCISE.name
    folder.mkdir()
    shutil.copy(path, folder / EXERCISE.filename)
    here = outcomes(Learner(EXERCISE, folder, {}), CHECKS)
    apart = outcomes(RemoteLearner(EXERCISE, folder, server), CHECKS)
    assert len(here) == 13
    assert apart == here
