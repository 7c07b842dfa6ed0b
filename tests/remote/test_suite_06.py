"""Exercise 06's hidden check suite, unchanged, judging the solution and every known submission of 06
in a learner process: each check must give what the kit's in-process Learner gives, verdict and
message, word for word. Its checks call the learner's function from a judge-side scenario, with
keyword arguments (``seconds=``, ``deadline=``), and read what is still pending from the judge's
``asyncio.all_tasks()``: there the learner's calls of fetch are the judge's tasks serving them."""

import pytest

from grader import catalog
from check_suites import KIT, both_ways, submissions

EXERCISE = catalog.find("06_timeouts")
CHECKS = KIT / "checks" / EXERCISE.name / "test_timeouts_checks.py"
SUBMISSIONS = submissions(EXERCISE)


@pytest.mark.parametrize("path", SUBMISSIONS, ids=["solution", *(p.stem for p in SUBMISSIONS[1:])])
def test_the_suite_judged_apart_says_what_it_says_in_one_process(path, tmp_path, server):
    here, apart = both_ways(path, tmp_path, EXERCISE, CHECKS, server)
    assert len(here) == 13
    assert apart == here
