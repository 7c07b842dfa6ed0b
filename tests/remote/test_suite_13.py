"""Exercise 13's hidden check suite, unchanged, judging the solution and every known submission of 13
in a learner process: each check must give what the kit's in-process Learner gives, verdict and
message, word for word. Its checks call fetch_settled and fetch_all from judge-side scenarios (one
cancels the call with a message), and read the exceptions the learner raises down their ``__cause__``
and ``__context__`` (a new exception raised in place of the fetch's own).

Not judged apart yet: the five upload checks (``NEEDS_OBJECT_PROXIES``) and one check of one submission
(``NEEDS_LEARNER_TASKS``). Compared up to the order of words: ``ORDER_BY_CHANCE``."""

import re

import pytest

from grader import catalog
from check_suites import KIT, both_ways, submissions

EXERCISE = catalog.find("13_error_handling")
CHECKS = KIT / "checks" / EXERCISE.name / "test_errors_checks.py"
SUBMISSIONS = submissions(EXERCISE)

# upload(connect, items) gets connect(), whose result is a Connection: an object with async send(item)
# and close(). The wire carries builtin values, callables and exceptions only, so the judge cannot
# answer `await connect()` (the learner waits for ever: "had not finished after 600 s"; cancelled, "never
# closed the connection"). Needed: a judge object sent as a proxy whose methods are judge callables
# (send, a TaskProbe, and close), and Line.unawaited("close") fed from the learner's count.
NEEDS_OBJECT_PROXIES = {
    "test_upload_sends_in_order_and_closes", "test_upload_skips_rejected_items",
    "test_upload_stops_on_a_broken_connection", "test_upload_closes_the_connection_when_cancelled",
    "test_upload_lets_the_cancellation_out",
}
# TaskProbe.lost() asks the task that ran each fetch whether its exception was ever read. Apart that task
# is the judge's, serving the call (its outcome went to the learner), so the check misses the task the
# learner fired and forgot; the harness fails the run instead on the learner process's own "never
# retrieved" report, which names another exception and gives other advice. Needed: the learner's tasks
# seen from the judge (which learner task made each call, and whether its exception was read).
NEEDS_LEARNER_TASKS = {("fire_and_forget_settled", "test_fetch_settled_keeps_the_other_results")}
# asyncio.as_completed of coroutines starts their tasks in the order of a set, by address: the order
# of the fetches in a message is by chance, in one process as apart.
ORDER_BY_CHANCE = {"settled_as_completed_wrappers", "settled_zip_as_completed"}


def agree(here: tuple[str, str], apart: tuple[str, str], by_chance: bool) -> bool:
    """Same verdict and message (with ``by_chance``, the same words and signs in any order)."""
    if by_chance:
        return here[0] == apart[0] and sorted(re.findall(r"\w+|\S", here[1])) == sorted(re.findall(r"\w+|\S", apart[1]))
    return here == apart


@pytest.mark.parametrize("path", SUBMISSIONS, ids=["solution", *(p.stem for p in SUBMISSIONS[1:])])
def test_the_suite_judged_apart_says_what_it_says_in_one_process(path, tmp_path, server):
    here, apart = both_ways(path, tmp_path, EXERCISE, CHECKS, server)
    assert len(here) == 12
    differ = {name for name in here if not agree(here[name], apart[name], path.stem in ORDER_BY_CHANCE)}
    assert differ == NEEDS_OBJECT_PROXIES | {check for stem, check in NEEDS_LEARNER_TASKS if stem == path.stem}
