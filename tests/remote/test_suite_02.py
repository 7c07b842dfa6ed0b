"""Exercise 02's hidden check suite, unchanged, judging the solution and every known submission of 02
in a learner process: each check must give what the kit's in-process Learner gives, verdict and
message, word for word. Its checks hand the learner async fakes (``step``, ``download``) and first ask
what the function is, ``inspect.isasyncgenfunction(learner.function(name))``: ``RemoteLearner.function``
answers with a stand-in of the learner function's kind.

Not judged apart yet: crunch's two checks (``NEEDS_PLAIN_CALLABLES``)."""

import pytest

from grader import catalog
from check_suites import KIT, both_ways, submissions

EXERCISE = catalog.find("02_event_loop")
CHECKS = KIT / "checks" / EXERCISE.name / "test_interleave_checks.py"
SUBMISSIONS = submissions(EXERCISE)

# crunch(process, items) gets a plain function: process(item) computes, returns item * item, and its first
# call starts a heartbeat task on the learner's own loop, whose ticks show whether crunch lets the loop
# run between items. Apart, a judge callable is always async (the call returns a coroutine, which crunch
# never awaits: "process was called with []"), and its heartbeat would run on the judge's loop. Needed: a
# plain judge callable answered at once (the learner's loop held meanwhile), whose loop-side effects (the
# heartbeat) run in the learner's process.
NEEDS_PLAIN_CALLABLES = {"test_crunch_lets_other_coroutines_run", "test_crunch_never_freezes_the_loop"}
# ... except where process is never reached, so both sides agree:
PROCESS_NEVER_CALLED = {
    "crunch_async_generator",  # refused as an async generator before anything runs
    "time_sleep",  # stopped at its blocking time.sleep first
}


@pytest.mark.parametrize("path", SUBMISSIONS, ids=["solution", *(p.stem for p in SUBMISSIONS[1:])])
def test_the_suite_judged_apart_says_what_it_says_in_one_process(path, tmp_path, server):
    here, apart = both_ways(path, tmp_path, EXERCISE, CHECKS, server)
    assert len(here) == 8
    differ = {name for name in here if apart[name] != here[name]}
    assert differ == (set() if path.stem in PROCESS_NEVER_CALLED else NEEDS_PLAIN_CALLABLES)
