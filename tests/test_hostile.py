"""Hostile submissions: each scores 0 on the exercise it attacks (03), keeps its other
exercise (01), leaves the other learners, the kit and the outputs untouched, and never
stops the batch. One class holds them all; it is graded once, each case is a test.

03's checks are judged apart (grader/remote): the class is graded twice. Once with 03 judged in
the checks' own process (``Plan.in_process``), as the exercises not judged apart yet are: the
guards of that process must hold. Once as shipped, judged apart: no attack scores more than the
plain code it wraps."""

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader import batch, catalog, cgroups, messages, reports, runner

ROOT = catalog.KIT_ROOT
SOLVED = (ROOT / "solutions" / "03_gather" / "gather.py").read_text()
SETTLED = "\n\nasync def fetch_all_settled(fetch, items):\n    return await fetch_all(fetch, items)\n"


def _gather(fetch_all_body: str, top: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(fetch_all_body).strip("\n"), "    ")
    return f"import asyncio\n{textwrap.dedent(top)}\n\nasync def fetch_all(fetch, items):\n{body}\n{SETTLED}"


SEQUENTIAL = "return [await fetch(item) for item in items]"
LEFT_IN_TMP = Path("/tmp/awaitlings-hostile-left-this")
WORLD_WRITABLE = [Path("/run/lock"), Path("/var/tmp"), Path("/dev/shm")]  # where they exist
HOSTILE = {
    "exits": _gather("import os\nos._exit(0)"),
    "always_equal": _gather(
        """
        class Anything(list):
            def __eq__(self, other):
                return True
        return Anything()
        """
    ),
    "patches_harness": _gather(
        SEQUENTIAL,
        top="""
        import grader.expect
        grader.expect.ran_together = lambda *args, **kwargs: None
        grader.expect.results = lambda *args, **kwargs: None
        """,
    ),
    "patches_clocks": _gather(
        "import time\ntime.sleep(5)\n" + SEQUENTIAL,
        top="""
        import time, asyncio
        time.perf_counter = lambda: 0.0
        asyncio.sleep = lambda *args, **kwargs: asyncio.get_event_loop().create_future()
        """,
    ),
    "swallows_cancel": _gather(
        """
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass
        """
    ),
    "busy_loop": _gather("while True:\n    pass"),
    "fork_bomb": _gather(
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """
    ),
    "allocates_10g": _gather("hoard = bytearray(10 << 30)\nreturn [hoard]"),
    # two processes of 1.2 GiB each, each under the per-process limit: the run's control group holds
    # them both to 2 GiB together, so at most one is still alive to say so. The kernel fills their
    # memory in one call (MAP_POPULATE): touching it from Python took over the 10 s check limit on a
    # loaded machine, and the check failed on the import instead
    "hoards_in_children": _gather(
        'raise RuntimeError(f"hoarders alive: {ALIVE}")',
        top="""
        import subprocess, sys, time
        HOARD = (
            "import mmap, time; flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE; "
            "m = mmap.mmap(-1, 1200 << 20, flags=flags); print('up', flush=True); time.sleep(30)"
        )
        hoarders = [subprocess.Popen([sys.executable, "-c", HOARD], stdout=subprocess.PIPE) for _ in range(2)]
        said = [h.stdout.read(2) == b"up" for h in hoarders]  # each has its memory, or was killed
        time.sleep(0.5)
        ALIVE = sum(up and h.poll() is None for up, h in zip(said, hoarders))
        """,
    ),
    "leaves_files_in_tmp": _gather(
        'raise RuntimeError("left a file in /tmp")', top=f"open({str(LEFT_IN_TMP)!r}, 'w').write('left behind')"
    ),
    # a tree too deep for shutil.rmtree on 3.11 (RecursionError): cleaning up used to stop the batch
    "digs_deep": _gather(
        'raise RuntimeError("dug deep")',
        top="""
        import os
        home = os.getcwd()
        for _ in range(1200):
            os.mkdir("d")
            os.chdir("d")
        os.chdir(home)
        """,
    ),
    "writes_to_the_machine": _gather(
        'raise RuntimeError("wrote to the machine")',
        top=f"""
        for folder in {[str(p) for p in WORLD_WRITABLE]!r}:
            try:
                open(folder + "/awaitlings-hostile-left-this", "w").write("x" * 1000)
            except OSError:
                pass
        """,
    ),
    "prints_1g": _gather("import sys\nfor _ in range(1024):\n    sys.stdout.write('x' * (1 << 20))\n" + SEQUENTIAL),
    "dials_out": _gather(
        "import socket\nsocket.create_connection(('93.184.215.14', 80), timeout=3).close()\n" + SEQUENTIAL
    ),
    "reads_solutions": _gather(
        SEQUENTIAL,
        top=f"""
        import grader.catalog
        exec((grader.catalog.KIT_ROOT / "solutions" / "03_gather" / "gather.py").read_text())
        exec(open({str(ROOT / "solutions" / "03_gather" / "gather.py")!r}).read())
        """,
    ),
    "reads_checks": _gather(
        """
        import pathlib
        here = pathlib.Path(__file__).resolve().parent
        for folder in (here.parent.parent / "checks", here.parent.parent.parent / "checks"):
            for path in folder.rglob("*.py"):
                exec(path.read_text(), {})
        """
        + SEQUENTIAL
    ),
    "finds_check_files": _gather(
        'raise RuntimeError(f"found {FOUND}")',
        top="""
        import pathlib
        ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
        FOUND = sorted(p.name for p in (ROOT / "checks").rglob("*") if p.is_file())
        """,
    ),
    "swaps_records_for_a_fifo": _gather(
        """
        import os, sys
        path = sys.argv[sys.argv.index("--awaitlings-record") + 1]
        os.unlink(path)
        os.mkfifo(path)  # a grader that opened it to read would wait for ever
        """
        + SEQUENTIAL
    ),
    "raises_system_exit": _gather("raise SystemExit(0)"),
    "raises_keyboard_interrupt": _gather("raise KeyboardInterrupt"),
    "skips_its_checks": _gather("import pytest\npytest.skip('nothing to see here')"),
    "crashes_the_interpreter": _gather("import ctypes\nctypes.string_at(0)"),
    "reads_the_sessions_memory": _gather(
        """
        import os
        try:
            open(f"/proc/{os.getppid()}/mem", "rb").close()
            said = "read the grading session's memory"
        except OSError as error:
            said = f"refused: {type(error).__name__}"
        raise RuntimeError(said)
        """
    ),
    "raises_megabytes": _gather("raise ValueError('x' * 15_000_000)"),
}
# Learner code that forges its own results from inside the check's process: each got a grade for
# sequential code before the grader took a sealed baseline of what it relies on and refused
# a check reported twice.
FIND_ITEM = """
import sys
frame = sys._getframe()
while frame is not None and "item" not in frame.f_locals:
    frame = frame.f_back
ITEM = frame.f_locals["item"]
"""
SIGNS_RECORDS = FIND_ITEM + """
import atexit, hashlib, hmac, json
writer = next(v for v in ITEM.config.stash._storage.values() if hasattr(v, "write") and hasattr(v, "file"))
sink, key = open(writer.file.name, "a"), writer._key
def forge():
    for line in open(writer.file.name).read().splitlines():
        record = json.loads(json.loads(line)["record"])
        if record["exercise"] == "03_gather":
            record.update(outcome="passed", points=record["max_points"], message="")
            body = json.dumps(record, sort_keys=True)
            signed = {"record": body, "sig": hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}
            sink.write(json.dumps(signed) + "\\n")
    sink.flush()
"""
FORGERIES = {
    "patches_builtins": "import builtins\nbuiltins.abs = lambda x: 0",
    "rebinds_expect_in_checks": """
        import sys, grader.expect
        class Quiet:
            def __getattr__(self, name):
                return lambda *a, **k: None
        for module in list(sys.modules.values()):
            if getattr(module, "expect", None) is grader.expect and not module.__name__.startswith("grader"):
                module.expect = Quiet()
        """,
    "rewrites_reports": """
        import _pytest.reports as reports
        original = reports.TestReport.from_item_and_call.__func__
        def forged(cls, item, call):
            report = original(cls, item, call)
            if report.when == "call":
                report.outcome, report.longrepr = "passed", None
            return report
        reports.TestReport.from_item_and_call = classmethod(forged)
        """,
    "registers_a_plugin": FIND_ITEM + """
import pytest
class Forger:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        from _pytest.reports import TestReport
        report = TestReport.from_item_and_call(item, call)
        if call.when == "call":
            report.outcome, report.longrepr = "passed", None
        return report
ITEM.config.pluginmanager.register(Forger())
""",
    "replaces_the_record_writer": FIND_ITEM + """
writer = next(v for v in ITEM.config.stash._storage.values() if hasattr(v, "write") and hasattr(v, "file"))
original = writer.write
def forged(record):
    if record.outcome == "failed":
        record.outcome, record.points, record.message = "passed", record.max_points, ""
    original(record)
writer.write = forged
""",
    "disables_the_guard": """
        import grader.plugin, grader.expect, grader.tamper
        grader.plugin._fail_if_tampered = lambda *a, **k: None
        grader.tamper.seal = None
        for name in dir(grader.expect):
            if not name.startswith("_") and callable(getattr(grader.expect, name)):
                setattr(grader.expect, name, lambda *a, **k: None)
        """,
    # with the signing key read off the writer: a signed pass for every check, appended at exit
    "signs_its_own_records": SIGNS_RECORDS + "forge()\n",
    "patches_json": """
        import json
        dumps = json.dumps
        def forged(obj, *a, **k):
            if isinstance(obj, dict) and obj.get("outcome") == "failed":
                obj = {**obj, "outcome": "passed", "message": ""}
            return dumps(obj, *a, **k)
        json.dumps = forged
        """,
    # a trace function that rewrites the judging code's locals as it runs
    "traces_the_judge": """
        import sys
        def _local(frame, event, arg):
            if event == "line" and "took" in frame.f_locals and "slowest" in frame.f_locals:
                probe = frame.f_locals["probe"]
                probe.peak = len(probe.calls)
                frame.f_locals["took"] = frame.f_locals["slowest"]
            return _local
        sys.settrace(lambda frame, event, arg: _local if frame.f_code.co_name == "ran_together" else None)
        """,
    # the writer the hooks use, swapped through their closure: every record still properly signed
    "swaps_the_hooks_writer": """
        import grader.plugin
        _guard = next(c.cell_contents for c in grader.plugin.pytest_runtest_makereport.__closure__
                      if type(c.cell_contents) is dict and "tainted" in c.cell_contents)
        class _Passing:
            def __init__(self, real):
                self.real, self.file = real, real.file
            def write(self, record):
                if record.exercise == "03_gather" and record.outcome == "failed":
                    record.outcome, record.points, record.message = "passed", record.max_points, ""
                self.real.write(record)
        _guard["writer"] = _Passing(_guard["writer"])
        """,
}
HOSTILE.update({name: _gather(SEQUENTIAL, top=top) for name, top in FORGERIES.items()})
# sequential fetches, then the loop's clock wound back to look concurrent and the probe's peak set
IN_THE_LOOP = {
    # a patch that puts the real function back the moment the judge calls it: gone before any look after the check
    "patch_undoes_itself": _gather(
        """
        def once(*args, **kwargs):
            judge.ran_together = REAL
        if len(items) == 50:  # a call whose timing is judged, in a check that judges nothing else
            judge.ran_together = once
        """
        + SEQUENTIAL,
        top="import grader.expect as judge\nREAL = judge.ran_together",
    ),
    "winds_the_clock_back": _gather(
    """
    loop = asyncio.get_running_loop()
    start, per_second = loop._LoopTimeEventLoop__now, loop._LoopTimeEventLoop__resolution_reciprocal
    results, slowest = [], 0.0
    for item in items:
        began = loop.time()
        results.append(await fetch(item))
        slowest = max(slowest, loop.time() - began)
    loop._LoopTimeEventLoop__now = start + round(slowest * per_second)
    fetch.peak = len(fetch.calls)
    return results
    """
)}
HOSTILE.update(IN_THE_LOOP)
# graded on what their code does (sequential: not 0): what the check reads off the fetch it hands
# out, set by hand (no delay, every call at once), plain sequential code to compare with, and
# (below) a schedule drawn by hand
AS_CODE = {
    "sets_the_probes_numbers": _gather(
        "fetch.delay = fetch._delay = lambda item: 0\nresults = [await fetch(item) for item in items]\n"
        "fetch.peak = len(items)\nreturn results"
    ),
    "sequential": _gather(SEQUENTIAL),
    # passes signed at exit, for every check of 03: the exercise's fork ends without running them
    "signs_records_at_exit": _gather(SEQUENTIAL, top=SIGNS_RECORDS + "atexit.register(forge)\n"),
}
# a stub for 03, and 01's module swaps the functions pytest runs for 03's checks
SWAPS_CHECKS = (ROOT / "solutions" / "01_coroutines" / "coroutines.py").read_text() + """
import sys
_frame = sys._getframe()
while _frame is not None and "item" not in _frame.f_locals:
    _frame = _frame.f_back
for _item in _frame.f_locals["item"].session.items:
    if "03_gather" in _item.nodeid:
        _item.obj = lambda *args, **kwargs: None
"""
# a probe event drawn from a kind the report cannot hash, and 60,000 more: the report of the class must still be written
AS_CODE["draws_its_own_schedule"] = _gather(
    """
    from grader.probes import Event
    results = [await fetch(item) for item in items]
    probe = fetch.__closure__[0].cell_contents.__self__ if hasattr(fetch, "__closure__") else fetch
    events, last = probe.events, probe.events[-1]
    events.append(Event(("finish",), last.item, last.at, last.call))
    events.extend(Event("start", "<b>x</b>" * 20 + str(n), 0.0, 99 + n) for n in range(60000))
    return results
    """
)
# 01 as solved, with a change to its whole process: 03 (solved) must not feel it (each exercise runs in a fork)
LOADED_03 = "any(str(getattr(m, '__file__', '')).endswith('gather.py') for m in list(sys.modules.values()))"
CROSS = {
    "sets_a_loop_policy": """
        import asyncio
        class _Policy(asyncio.DefaultEventLoopPolicy):
            def new_event_loop(self):
                raise RuntimeError("no new loops")
        asyncio.set_event_loop_policy(_Policy())
        """,
    "slows_the_garbage_collector": f"""
        import gc, sys, time
        def _slow(phase, info):
            if phase == "start" and {LOADED_03}:
                time.sleep(0.6)
        gc.callbacks.append(_slow)
        """,
    "holds_the_interpreter_from_a_thread": f"""
        import ctypes, sys, threading, time
        def _later():
            while not {LOADED_03}:
                time.sleep(0.01)
            ctypes.PyDLL(None).sleep(1000)  # C code that never lets the interpreter go
        threading.Thread(target=_later, daemon=True).start()
        """,
}
# Written by the "writes_outside" learner; each must be refused.
TARGETS = {
    "kit_check": ROOT / "checks" / "03_gather" / "test_gather_checks.py",
    "kit_grader": ROOT / "grader" / "expect.py",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert runner.jail_available(), f"no jail on this machine ({runner.jail_problem()}): hostile code would run as the grader"
    scratch = tmp_path_factory.mktemp("hostile")
    submissions, out = scratch / "class", scratch / "out"
    sources = {**HOSTILE, **AS_CODE}
    sources["writes_outside"] = _gather(
        f"""
        import pathlib
        for target in {[str(t) for t in TARGETS.values()]!r} + [{str(out / "gradebook.csv")!r},
                {str(submissions / "honest" / "03_gather" / "gather.py")!r}]:
            pathlib.Path(target).write_text("owned")
        """
        + SEQUENTIAL
    )
    for learner, source in {**sources, "honest": SOLVED}.items():
        folder = submissions / learner
        shutil.copytree(ROOT / "solutions" / "01_coroutines", folder / "01_coroutines")
        (folder / "03_gather").mkdir()
        (folder / "03_gather" / "gather.py").write_text(source)
    for learner, top in CROSS.items():
        folder = submissions / learner
        (folder / "01_coroutines").mkdir(parents=True)
        solved_01 = (ROOT / "solutions" / "01_coroutines" / "coroutines.py").read_text()
        (folder / "01_coroutines" / "coroutines.py").write_text(textwrap.dedent(top) + solved_01)
        (folder / "03_gather").mkdir()
        (folder / "03_gather" / "gather.py").write_text(SOLVED)
    swapper = submissions / "swaps_checks_from_01"
    shutil.copytree(ROOT / "exercises" / "03_gather", swapper / "03_gather")
    (swapper / "01_coroutines").mkdir()
    (swapper / "01_coroutines" / "coroutines.py").write_text(SWAPS_CHECKS)
    before = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in TARGETS.items()}
    for folder in [LEFT_IN_TMP.parent, *WORLD_WRITABLE]:
        (folder / LEFT_IN_TMP.name).unlink(missing_ok=True)
    plan = dataclasses.replace(batch.plan(ROOT, ["01", "03"]), in_process=True)
    results = {r.learner: r for r in batch.grade(submissions, out, plan, jobs=2)}
    after = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in TARGETS.items()}
    return plan, results, before == after, submissions


@pytest.fixture(scope="module")
def graded_apart(graded, tmp_path_factory):
    """The same class, but for the learners that reach across exercises, graded as shipped."""
    _, _, _, submissions = graded
    apart = tmp_path_factory.mktemp("hostile-apart") / "class"
    for learner in [*HOSTILE, *AS_CODE, "writes_outside", "honest"]:
        shutil.copytree(submissions / learner, apart / learner)
    before = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in TARGETS.items()}
    plan = batch.plan(ROOT, ["01", "03"])
    results = {r.learner: r for r in batch.grade(apart, apart.parent / "out", plan, jobs=2)}
    after = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in TARGETS.items()}
    return plan, results, before == after, apart


def _full(plan, exercise):
    return sum(c.max_points for c in plan.checks[exercise])


@pytest.mark.timeout(900)
@pytest.mark.parametrize("learner", [*HOSTILE, "writes_outside"])
def test_hostile_submission_scores_zero_on_its_exercise_only(graded, learner):
    plan, results, kit_untouched, submissions = graded
    result = results[learner]
    assert result.score("03_gather") == 0, [(c.check, c.outcome, c.message[:120]) for c in result.checks if c.points]
    assert result.score("01_coroutines") == _full(plan, "01_coroutines")
    assert kit_untouched
    assert (submissions / "honest" / "03_gather" / "gather.py").read_text() == SOLVED


@pytest.mark.timeout(900)
@pytest.mark.parametrize("learner", [*HOSTILE, *AS_CODE, "writes_outside"])
def test_judged_apart_no_attack_scores_more_than_the_plain_code_it_wraps(graded_apart, learner):
    """Its 03 scores at most what plain sequential code scores (0 for the attacks whose own code
    fails every check), every check of 03 is judged, 01 keeps full marks, and the kit and the
    honest learner are untouched."""
    plan, results, kit_untouched, submissions = graded_apart
    result, plain = results[learner], results["sequential"].score("03_gather")
    assert result.score("03_gather") <= plain < 10, [(c.check, c.message[:120]) for c in result.checks if c.points]
    if learner in HOSTILE and SEQUENTIAL not in (submissions / learner / "03_gather" / "gather.py").read_text():
        assert result.score("03_gather") == 0, [(c.check, c.message[:120]) for c in result.checks if c.points]
    unjudged = [c.check for c in result.checks if c.exercise == "03_gather" and c.message.startswith(batch.NO_RESULT)]
    assert not unjudged, unjudged  # each check judged on its own: the learner's process ends, never the judge's
    assert result.score("01_coroutines") == _full(plan, "01_coroutines")
    assert kit_untouched and results["honest"].score() == _full(plan, "01_coroutines") + _full(plan, "03_gather")
    assert (submissions / "honest" / "03_gather" / "gather.py").read_text() == SOLVED


@pytest.mark.timeout(900)
def test_the_honest_learner_beside_them_gets_full_marks(graded):
    plan, results, _, _ = graded
    assert results["honest"].score() == _full(plan, "01_coroutines") + _full(plan, "03_gather")


@pytest.mark.timeout(900)
def test_processes_share_one_memory_cap(graded):
    """Two 1.2 GiB processes each pass the per-process limit; the control group stops all but one."""
    _, results, _, _ = graded
    said = {c.message for c in results["hoards_in_children"].checks if "hoarders alive: " in c.message}
    alive = {int(m.split("hoarders alive: ")[1][:1]) for m in said}
    assert alive and max(alive) <= 1, said or [c.message[:300] for c in results["hoards_in_children"].checks]
    ours = f"run-{os.getpid()}-*"
    left = [g.name for h in ("memory", "pids") for g in (cgroups.HIERARCHIES / h / cgroups.PARENT).glob(ours)]
    assert not left, f"control groups left behind: {left}"


@pytest.mark.timeout(900)
def test_files_written_to_tmp_stay_in_the_jail(graded):
    """The jail's /tmp is its own: what learner code writes there is gone with the run."""
    _, results, _, _ = graded
    assert "leaves_files_in_tmp" in results
    assert not LEFT_IN_TMP.exists()


@pytest.mark.timeout(900)
def test_nothing_is_written_to_the_machine(graded):
    """The machine's world-writable folders are covered in the jail: no file outlives the run."""
    _, results, _, _ = graded
    assert "writes_to_the_machine" in results
    left = [str(f / LEFT_IN_TMP.name) for f in WORLD_WRITABLE if (f / LEFT_IN_TMP.name).exists()]
    assert not left, left


@pytest.mark.timeout(900)
def test_a_tree_too_deep_to_remove_does_not_stop_the_batch(graded):
    """The batch went on after the learner who dug 1,200 folders deep, and graded them."""
    _, results, _, _ = graded
    assert {c.outcome for c in results["digs_deep"].checks if c.exercise == "03_gather"} == {"failed"}


@pytest.mark.timeout(900)
def test_patching_the_harness_is_named(graded):
    _, results, _, _ = graded
    messages_03 = [c.message for c in results["patches_harness"].checks if c.exercise == "03_gather"]
    assert all(m.startswith(messages.TAMPERED_START) and "grader.expect.ran_together" in m for m in messages_03)


@pytest.mark.timeout(900)
def test_what_escapes_a_check_is_one_line_of_the_learners_terms(graded):
    """A BaseException out of the learner's code, a skip, a crash of the interpreter, 15 MB of
    exception text: each check says what happened in one line, never pytest's traceback (the
    hidden check's paths, code and parameters), and no limit is blamed that was not hit."""
    _, results, _, _ = graded

    def said(learner):
        return [c.message for c in results[learner].checks if c.exercise == "03_gather"]

    escaped = said("raises_system_exit")
    assert escaped and all(m.startswith(("Called", "This check could not finish judging: SystemExit")) for m in escaped), escaped
    assert any(m.startswith("This check could not finish judging: SystemExit came out of it (at gather.py:") for m in escaped)
    shown = "\n".join(escaped + said("raises_megabytes") + said("skips_its_checks"))
    assert "test_gather_checks" not in shown and "grader/" not in shown and "def test_" not in shown, shown[:2000]
    skipped = said("skips_its_checks")
    assert skipped and all(m == messages.SKIPPED or "Skipped" in m for m in skipped), skipped
    assert {c.outcome for c in results["skips_its_checks"].checks if c.exercise == "03_gather"} == {"failed"}
    assert all("interrupted (the code raised KeyboardInterrupt" in m for m in said("raises_keyboard_interrupt"))
    assert all("SIGSEGV (a crash inside C code" in m for m in said("crashes_the_interpreter"))
    huge = said("raises_megabytes")
    assert all(len(m) <= 2000 and "real time" not in m for m in huge), [m[:200] for m in huge]


@pytest.mark.timeout(900)
def test_numbers_set_on_the_fetch_it_was_given_change_nothing(graded):
    """The learner gets a function that calls the check's probe, not the probe: setting delays and
    a peak on that function leaves the grade of the sequential code it is. (Code that digs the
    probe out of the function's closure still can: see README, "Not closed yet".)"""
    _, results, _, _ = graded
    assert results["sets_the_probes_numbers"].score("03_gather") == results["sequential"].score("03_gather") < 10


@pytest.mark.timeout(900)
def test_an_exercise_cannot_read_the_session_it_was_forked_from(graded):
    """Its process runs as the same user, but the session is not dumpable and the jail left no
    CAP_SYS_PTRACE: /proc/<session>/mem is refused."""
    _, results, _, _ = graded
    said = [c.message for c in results["reads_the_sessions_memory"].checks if c.exercise == "03_gather"]
    assert any("refused: PermissionError" in m for m in said), said[:1]


@pytest.mark.timeout(900)
def test_records_signed_at_exit_never_reach_the_grader(graded):
    """Each exercise's fork ends without Python's exit handlers: passes an atexit handler would
    sign are never written, and the code gets the grade of the sequential code it is."""
    _, results, _, _ = graded
    assert results["signs_records_at_exit"].score("03_gather") == results["sequential"].score("03_gather") < 10


def test_check_functions_swapped_from_another_exercise_never_reach_it(graded):
    """01's module swaps the functions pytest runs for 03's checks: 03 runs in a fork of its own,
    so its real checks judge it, and its stub fails them."""
    _, results, _, _ = graded
    checks_03 = [c for c in results["swaps_checks_from_01"].checks if c.exercise == "03_gather"]
    assert checks_03 and all(c.outcome == "failed" for c in checks_03)
    assert not any(c.message.startswith(messages.TAMPERED_START) for c in checks_03), checks_03[0].message


@pytest.mark.parametrize("learner", CROSS)
def test_what_an_exercise_does_to_its_process_never_reaches_the_next(graded, learner):
    plan, results, _, _ = graded
    assert results[learner].score("03_gather") == _full(plan, "03_gather"), [
        (c.check, c.message[:120]) for c in results[learner].checks if c.exercise == "03_gather" and not c.points]


def test_the_class_report_is_written_whatever_a_record_holds(graded, tmp_path):
    """A schedule drawn by hand (an unhashable kind, 60,000 rows) is dropped, not drawn: the
    reports of the whole class are written, and stay small."""
    plan, results, _, _ = graded
    reports.write_all(tmp_path, plan, list(results.values()), isolation={})
    assert (tmp_path / "report.html").stat().st_size < 2_000_000
    html = (tmp_path / "report.html").read_text()
    assert "patch_undoes_itself: changed the grader while its checks ran: 03_gather" in html  # among the suspicious
    assert all(f.stat().st_size < 500_000 for f in (tmp_path / "feedback").iterdir())


@pytest.mark.parametrize("learner", [*FORGERIES, *IN_THE_LOOP])
def test_forging_results_from_inside_the_check_is_named(graded, learner):
    """What the learner's code patched is named, undone, and voids the exercise."""
    _, results, _, _ = graded
    messages_03 = [c.message for c in results[learner].checks if c.exercise == "03_gather"]
    assert messages_03 and all(m.startswith(messages.TAMPERED_START) for m in messages_03), messages_03[:1]


def test_a_jail_is_in_force_here():
    """The machines this kit grades on allow the jail; if one does not, the gradebook says so."""
    assert runner.jail_problem() is None
    assert runner.isolation_in_force()["filesystem"].startswith("a root of its own")


def test_a_jailed_child_reaches_only_the_ways_it_needs(tmp_path):
    """A folder others cannot search (as ``/root`` holding pyenv) is passable inside the jail, for
    the folder the child needs only: its neighbours stay hidden, and nothing changes outside."""
    private = tmp_path / "private"
    (private / "env").mkdir(parents=True)
    (private / "env" / "tool.txt").write_text("reachable")
    (private / "diary.txt").write_text("secret")
    private.chmod(0o700)
    show = "import os, sys; p = sys.argv[1]; print(open(p + '/env/tool.txt').read(), sorted(os.listdir(p + '/env')))"
    peek = "import os, sys; print(os.path.exists(sys.argv[1] + '/diary.txt'))"
    jail = runner.jail(runner._jail_uid(), [], [private / "env"])
    assert jail, runner.jail_problem()
    reached = subprocess.run([*jail, sys.executable, "-I", "-c", show, str(private)], capture_output=True, text=True)
    hidden = subprocess.run([*jail, sys.executable, "-I", "-c", peek, str(private)], capture_output=True, text=True)
    assert reached.stdout.split(maxsplit=1) == ["reachable", "['tool.txt']\n"], reached.stderr
    assert hidden.stdout == "False\n", hidden.stderr
    assert private.stat().st_mode & 0o777 == 0o700 and (private / "diary.txt").read_text() == "secret"


def test_a_jailed_child_sees_only_what_it_was_given(tmp_path):
    """The jail's root is built from a list: the system's programs, libraries and /etc, Python and
    the grader package, read-only. The rest of the machine (the kit's README beside the grader,
    other people's folders) is not there, and nothing of the machine's is writable."""
    peek = (
        "import os, sys\nprint(sorted(os.listdir('/')))\nprint(os.path.exists(sys.argv[1]))\n"
        "for folder in ('/usr', '/etc', sys.prefix, os.path.dirname(sys.argv[1]) + '/grader'):\n"
        "    try:\n        open(folder + '/awaitlings-hostile-left-this', 'w')\n        print('wrote', folder)\n"
        "    except OSError:\n        pass\n"
    )
    jail = runner.jail(runner._jail_uid(), [], [tmp_path])
    assert jail, runner.jail_problem()
    seen = subprocess.run([*jail, sys.executable, "-I", "-c", peek, str(ROOT / "README.md")], capture_output=True, text=True)
    top, readme, *wrote = seen.stdout.splitlines()
    python = {p.resolve().parts[1] for p in runner._python_folders()}
    assert set(eval(top)) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr", "var",
                              *python}, (top, seen.stderr[-500:])
    assert readme == "False" and not wrote, (readme, wrote)


def test_a_jailed_child_gains_nothing_from_setuid_programs(tmp_path):
    """A setuid-root program (su, passwd) started in the jail runs as the jail's user, with no
    capability: no_new_privs is set, the bounding set is empty, and the mounts are nosuid, nodev."""
    peek = (
        "import subprocess\n"
        "status = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)\n"
        "print(status['NoNewPrivs'].strip(), status['CapBnd'].strip())\n"
        "print(subprocess.run(['id', '-u'], capture_output=True, text=True).stdout.strip())\n"
        "print(sorted({o for l in open('/proc/self/mounts') for o in l.split()[3].split(',') if l.split()[1] in ('/usr', '/tmp', '/dev/shm')} & {'nosuid', 'nodev'}))\n"
    )
    jail = runner.jail(runner._jail_uid(), [], [tmp_path])
    assert jail, runner.jail_problem()
    seen = subprocess.run([*jail, sys.executable, "-I", "-c", peek], capture_output=True, text=True)
    privs, uid, mounts = seen.stdout.splitlines()
    assert privs == "1 0000000000000000", seen.stderr[-500:]
    assert uid != "0"  # the jail's own user, whatever setuid programs it runs
    assert mounts == "['nodev', 'nosuid']"


def test_no_check_file_is_left_for_learner_code_to_read(graded):
    """Check sources and their bytecode are deleted once collected: learner code finds nothing."""
    _, results, _, _ = graded
    messages_03 = [c.message for c in results["finds_check_files"].checks if c.exercise == "03_gather"]
    assert messages_03 and all("found []" in m for m in messages_03), messages_03[:1]


@pytest.mark.timeout(300)
def test_code_that_never_lets_the_interpreter_go_is_stopped_without_its_records(tmp_path, monkeypatch):
    """One long C computation holds the interpreter: no time limit inside the run can fire. The
    grader stops a run that writes no new record, and the other exercise is graded on its own;
    a process that keeps the records file growing meanwhile (with lines that are not records)
    does not keep the run alive."""
    monkeypatch.setattr(runner, "STALL_LIMIT", 8.0)
    keeps_growing = """
        import subprocess, sys
        _record = sys.argv[sys.argv.index("--awaitlings-record") + 1]
        subprocess.Popen(["sh", "-c", 'while :; do printf "\\n" >> "$0"; sleep 1; done', _record])
    """
    for learner, top in [("holds_the_interpreter", ""), ("keeps_the_file_growing", keeps_growing)]:
        folder = tmp_path / "class" / learner
        shutil.copytree(ROOT / "solutions" / "01_coroutines", folder / "01_coroutines")
        (folder / "03_gather").mkdir()
        (folder / "03_gather" / "gather.py").write_text(_gather("return sum(range(10 ** 15))", top=top))
    plan = dataclasses.replace(batch.plan(ROOT, ["01", "03"]), in_process=True)  # judged apart, 03 is held and named
    runs, real_run = [], batch._run
    monkeypatch.setattr(batch, "_run", lambda *args: runs.append(args[2]) or real_run(*args))
    started = time.monotonic()
    results = batch.grade(tmp_path / "class", tmp_path / "out", plan, jobs=2)
    assert time.monotonic() - started < 150
    assert len(results) == 2
    assert len(runs) == 2, runs  # one each: the exercise running when time ran out is not run again
    for result in results:
        assert result.score("01_coroutines") == _full(plan, "01_coroutines") and result.score("03_gather") == 0
        assert any("without ending" in c.message for c in result.checks if c.exercise == "03_gather"), result.learner


def test_a_plain_function_that_skips_or_exits_fails_its_checks_in_one_line(tmp_path):
    """01's run_greeting is called outside any loop: a pytest.skip or a SystemExit from it gets out of
    the check. The check fails (never "skipped", never pytest's traceback); the other checks stand."""
    solved = (ROOT / "solutions" / "01_coroutines" / "coroutines.py").read_text()
    for learner, line in [("skips", "import pytest; pytest.skip('no')"), ("exits", "raise SystemExit(3)")]:
        folder = tmp_path / "class" / learner / "01_coroutines"
        folder.mkdir(parents=True)
        (folder / "coroutines.py").write_text(
            solved.replace("def run_greeting(name, delay):\n", f"def run_greeting(name, delay):\n    {line}\n"))
    plan = batch.plan(ROOT, ["01"])
    results = {r.learner: r for r in batch.grade(tmp_path / "class", tmp_path / "out", plan, jobs=2)}
    for learner, wanted in [("skips", messages.SKIPPED), ("exits", "This check could not finish judging: SystemExit")]:
        failed = {c.check: c.message for c in results[learner].checks if c.outcome != "passed"}
        assert set(failed) == {"test_run_greeting_runs_greet_with_asyncio_run", "test_run_greeting_closes_its_event_loop"}, failed
        assert all(m.startswith(wanted) and "test_coroutines_checks" not in m for m in failed.values()), failed
