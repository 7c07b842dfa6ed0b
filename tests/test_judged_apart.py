"""Exercise 06's checks are marked ``judged_apart``: in the sandbox its learner code runs in a
process of its own, forked from a clean fork server, and the checks, their probes, the loop's
clock and the signing key stay in a process that code never runs in. A learner that goes
looking for the grader's state finds none of it and gets the grade of the code it is; the
hostile cases of test_hostile, aimed at 06, each score 0 there and leave the learner beside
them untouched."""

import shutil
import textwrap

import pytest

from grader import batch, catalog, runner

ROOT = catalog.KIT_ROOT
FUNCTIONS = ("fetch_or_default", "fetch_with_retries", "fetch_steps")
# worth some points on its own: no timeout anywhere, and fetch_steps raises what FOUND holds
PARTLY_RIGHT = {
    "fetch_or_default": "return await fetch(item)",
    "fetch_with_retries": "return await fetch(item)",
    "fetch_steps": 'raise RuntimeError(f"found: {FOUND}")',
}
# every way a forgery reached the grader's state when the checks shared the learner's process
LOOKS_FOR_THE_GRADER = """
import gc, os, sys
FOUND = []
for obj in gc.get_objects():
    if hasattr(type(obj), "write") and hasattr(obj, "_key"):
        FOUND.append("a record writer")
        break
frame = sys._getframe()
while frame is not None:
    if "item" in frame.f_locals:
        FOUND.append("pytest's item")
    frame = frame.f_back
if any(name.startswith(("grader.probes", "grader.plugin", "_pytest")) for name in sys.modules):
    FOUND.append("the judge's modules")
judge = int(open(f"/proc/{os.getppid()}/stat").read().split(")")[1].split()[1])  # the fork server's parent
for pid in {os.getppid(), judge}:
    for what in ("mem", "fd", "environ"):
        try:
            path = f"/proc/{pid}/{what}"
            open(path, "rb").read(16) if what != "fd" else os.listdir(path)
            FOUND.append(f"{what} of process {pid}")
        except OSError:
            pass
arguments = open(f"/proc/{judge}/cmdline", "rb").read().split(b"\\0")
if b"--awaitlings-record" in arguments:  # the records file: an unsigned pass for every check
    records = arguments[arguments.index(b"--awaitlings-record") + 1].decode()
    try:
        with open(records, "a") as sink:
            for name in ("test_default_returns_a_quick_answer", "test_steps_run_one_after_another"):
                sink.write('{"exercise": "06_timeouts", "check": "%s", "outcome": "passed", "points": 3}\\n' % name)
    except OSError:
        pass
"""


def _module(bodies: dict[str, str], top: str = "") -> str:
    functions = "".join(
        f"\n\nasync def {name}(fetch, {'steps' if name == 'fetch_steps' else 'item'}, *args, **kwargs):\n"
        + textwrap.indent(textwrap.dedent(bodies.get(name, "raise NotImplementedError")).strip("\n"), "    ")
        for name in FUNCTIONS
    )
    return "import asyncio\n" + textwrap.dedent(top) + functions + "\n"


HOSTILE = {
    "exits": _module({name: "import os\nos._exit(0)" for name in FUNCTIONS}),
    "always_equal": _module({name: "class Anything(list):\n    def __eq__(self, other):\n        return True\n"
                             "return Anything()" for name in FUNCTIONS}),
    "patches_harness": _module({name: "return None" for name in FUNCTIONS}, top="""
        import grader.expect
        for name in dir(grader.expect):
            if not name.startswith("_") and callable(getattr(grader.expect, name)):
                setattr(grader.expect, name, lambda *a, **k: None)
        """),
    "patches_clocks": _module({name: "import time\ntime.sleep(5)\nreturn None" for name in FUNCTIONS}, top="""
        import time
        time.perf_counter = time.monotonic = lambda: 0.0
        asyncio.sleep = lambda *args, **kwargs: asyncio.get_event_loop().create_future()
        """),
    "swallows_cancel": _module({"fetch_or_default": """
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass
        """}),
    "busy_loop": _module({"fetch_or_default": "while True:\n    pass"}),
    "fork_bomb": _module({"fetch_or_default": """
        import os
        while True:
            try:
                if os.fork() == 0:
                    os.setsid()
            except OSError:
                pass
        """}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert runner.jail_available(), f"no jail on this machine ({runner.jail_problem()})"
    submissions = tmp_path_factory.mktemp("apart") / "class"
    sources = {**HOSTILE, "partly_right": _module(PARTLY_RIGHT, "FOUND = []"),
               "partly_right_looking": _module(PARTLY_RIGHT, LOOKS_FOR_THE_GRADER)}
    for learner, source in sources.items():
        (submissions / learner / "06_timeouts").mkdir(parents=True)
        (submissions / learner / "06_timeouts" / "timeouts.py").write_text(source)
    shutil.copytree(ROOT / "solutions" / "06_timeouts", submissions / "honest" / "06_timeouts")
    plan = batch.plan(ROOT, ["06"])
    results = {r.learner: r for r in batch.grade(submissions, submissions.parent / "out", plan, jobs=2)}
    return plan, results


def test_the_checks_of_06_are_judged_apart(graded):
    _, results = graded
    said = [c.message for c in results["partly_right_looking"].checks if "steps" in c.check]
    assert said and all("found: []" in m for m in said), said[:1]


def test_looking_for_the_grader_changes_no_grade(graded):
    _, results = graded
    looked, plain = results["partly_right_looking"], results["partly_right"]
    assert 0 < looked.score("06_timeouts") == plain.score("06_timeouts")
    assert [(c.check, c.outcome) for c in looked.checks] == [(c.check, c.outcome) for c in plain.checks]


@pytest.mark.parametrize("learner", HOSTILE)
def test_hostile_code_judged_apart_scores_zero(graded, learner):
    _, results = graded
    result = results[learner]
    assert result.score("06_timeouts") == 0, [(c.check, c.message[:120]) for c in result.checks if c.points]
    judged = [c for c in result.checks if c.message and not c.message.startswith("no result")]
    assert len(judged) == len(result.checks) == 13, [c.message[:80] for c in result.checks]


def test_the_honest_learner_beside_them_gets_full_marks(graded):
    plan, results = graded
    assert results["honest"].score() == sum(c.max_points for c in plan.checks["06_timeouts"])
