"""Exercise 07's hidden check suite, unchanged, judging the solution and every known submission of 07
in a learner process, against the kit's in-process Learner. Its checks list the learner's tasks still
running at the return and, for a pipeline that never returns, where each waits (Queue.get, put or
join): judged apart, both come from the stand-ins the judge keeps for the learner's tasks
(``grader.learner_tasks``).

Where two events fall on the same instant of loop time (a page arrives at 1 s, when a consumer that
polls every 0.1 s, or whose ``wait_for`` timeout is 1 s, looks too), one process runs them in the order
of its ready queue; judged apart the judge's answers come first. That order picks which page a check
names or draws first, and in the cases listed here the check's verdict or its first paragraph. The
order in one process is not the same on every Python (3.12 rebuilt ``wait_for`` on ``timeout``: there
``stops_on_timeout`` gets the same text both ways), so a listed case may differ; no other may."""

import pytest

from grader import catalog
from check_suites import KIT, both_ways, submissions

EXERCISE = catalog.find("07_queues")
CHECKS = KIT / "checks" / EXERCISE.name / "test_pipeline_checks.py"
SUBMISSIONS = submissions(EXERCISE)
# Same verdict, but the first paragraph names another page, or the moment of another event, that
# falls on the same instant.
SAME_INSTANT_TEXT = {
    "cancels_too_early": {"test_pipeline_handles_every_page_once", "test_pipeline_runs_producers_together",
                          "test_pipeline_stops_when_done[more-pages]"},
    "queue_per_consumer": {"test_pipeline_runs_producers_together"},
    "sentinels_too_early": {"test_pipeline_runs_consumers_together"},
    "stops_on_timeout": {"test_pipeline_runs_producers_together"},
    "unbounded_queue": {"test_pipeline_queue_is_bounded[1-producer]", "test_pipeline_queue_is_bounded[2-producers]"},
}
OTHER_VERDICT = {
    # its consumer polling every 0.1 s looks at 1 s, when the pages arrive: one process decided by
    # the order of the two; judged apart the pages come first (the check for polling fails it both ways)
    "poll_with_sleep": {"test_pipeline_runs_producers_together"},
    # `while ...: await asyncio.sleep(0)` while a fetch of 0 s is out: one process answers the fetch
    # between two of its steps; judged apart the answer waits for the learner's loop to be idle, which
    # it never is (it fails the checks for polling both ways)
    "busy_poll": {"test_pipeline_runs_consumers_together"},
}


def _first_paragraph(outcome: tuple[str, str]) -> tuple[str, str]:
    verdict, message = outcome
    return verdict, message.split("\n\n")[0]  # without the drawing of the schedule


@pytest.mark.parametrize("path", SUBMISSIONS, ids=["solution", *(p.stem for p in SUBMISSIONS[1:])])
def test_the_suite_judged_apart_says_what_it_says_in_one_process(path, tmp_path, server):
    here, apart = both_ways(path, tmp_path, EXERCISE, CHECKS, server)
    assert len(here) == 16
    verdicts = {name for name in here if here[name][0] != apart[name][0]}
    assert verdicts <= OTHER_VERDICT.get(path.stem, set()), {n: (here[n], apart[n]) for n in verdicts}
    texts = {name for name in here if _first_paragraph(here[name]) != _first_paragraph(apart[name])} - verdicts
    assert texts <= SAME_INSTANT_TEXT.get(path.stem, set()), {n: (here[n], apart[n]) for n in texts}
