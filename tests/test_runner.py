"""The runner bounds a hostile child: it keeps finished checks and kills what hangs. Its cases on 03
run judged in pytest's process (`in_process`): the guards of the exercises not judged apart yet."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from grader import cgroups, runner
from grader.catalog import KIT_ROOT
from grader.runner import run_pytest

SOLVED = '''
import asyncio


async def fetch_all(fetch, items):
    return await asyncio.gather(*(fetch(item) for item in items))
'''


def _submit(tmp_path, settled_body, top=""):
    folder = tmp_path / "03_gather"
    folder.mkdir(parents=True)
    source = top + SOLVED + f"\n\nasync def fetch_all_settled(fetch, items):\n{settled_body}\n"
    (folder / "gather.py").write_text(source)
    return tmp_path


def test_exit_mid_run_keeps_finished_checks(tmp_path):
    """Judged in pytest's process, the exit ends the run (judged apart, it ends only the learner's)."""
    outcome = run_pytest(["checks/03_gather"], _submit(tmp_path, "    import os\n    os._exit(0)"), in_process=True)
    by_check = {r.check: r.outcome for r in outcome.records.values()}
    assert by_check["test_fetch_all_runs_fetches_together"] == "passed"
    assert by_check["test_settled_puts_exceptions_in_place"] == "collected"  # no result: scores 0


def test_unstoppable_child_is_killed_with_its_process_group(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    top = (  # on import: leave a grandchild behind
        "import signal, subprocess\n"
        f"open({str(pid_file)!r}, 'w').write(str(subprocess.Popen(['sleep', '300']).pid))\n"
    )
    body = "    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # pytest-timeout can't stop it\n    while True:\n        pass"
    submission = _submit(tmp_path / "submission", body, top)
    start = time.monotonic()
    outcome = run_pytest(["checks/03_gather"], submission, wall_limit=5, check_timeout=2, in_process=True)
    assert outcome.returncode is None  # killed at the wall-clock limit
    assert outcome.stopped == "it was still running after 5 s, so the run was stopped"
    assert time.monotonic() - start < 15
    assert any(r.outcome == "passed" for r in outcome.records.values())
    time.sleep(0.2)
    assert not _alive(int(pid_file.read_text())), "the learner's grandchild survived"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_stuck_thread_of_the_learner_does_not_hold_the_run(tmp_path):
    body = (  # a worker that waits for ever on something nobody will set
        "    import threading\n"
        "    threading.Thread(target=threading.Event().wait).start()\n"
        "    return await asyncio.gather(*(fetch(item) for item in items), return_exceptions=True)"
    )
    start = time.monotonic()
    outcome = run_pytest(["checks/03_gather"], _submit(tmp_path, body), wall_limit=60, in_process=True)
    assert outcome.returncode is not None, "the run was killed at the wall-clock limit"
    assert time.monotonic() - start < 30
    assert all(r.outcome == "passed" for r in outcome.records.values())


def test_an_isolated_run_refuses_the_kit_itself_as_its_root(tmp_path):
    """An isolated run gives its root to the jailed user: the kit must never be that root."""
    owner = KIT_ROOT.stat().st_uid
    with pytest.raises(ValueError, match="throwaway copy"):
        run_pytest(["checks"], tmp_path, isolated=True)
    assert KIT_ROOT.stat().st_uid == owner


def test_the_jail_never_hides_the_folder_holding_python():
    """A venv kept in a hidden folder (.ci/venv) stays reachable: hiding it ended every run."""
    holder = Path(sys.prefix).resolve().parent
    script = runner._jail_script(runner._jail_uid(), [holder], [])
    assert f"awaitlings-hidden {holder}" not in script


def test_control_groups_are_in_force_here():
    """The machines this kit grades on offer cgroups; if one does not, the gradebook says so."""
    assert cgroups.problem() is None
    assert runner.isolation_in_force()["control_group"].startswith("one per run")


def test_a_killed_graders_control_groups_are_swept():
    """A grader killed with -9 leaves its groups behind, with the runs it watched still in them:
    the next run kills those runs and deletes the groups, and only those."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [cgroups.HIERARCHIES / h / cgroups.PARENT / f"run-{dead.pid}-0" for h in ("memory", "pids")]
    alive = [cgroups.HIERARCHIES / h / cgroups.PARENT / f"run-{os.getpid()}-0" for h in ("memory", "pids")]
    for folder in stale + alive:
        folder.mkdir(parents=True)
    orphan = subprocess.Popen(["sleep", "300"])
    (stale[0] / "cgroup.procs").write_text(str(orphan.pid))
    group = cgroups.create(1 << 30, 16)
    try:
        assert group is not None
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        assert not any(folder.exists() for folder in stale)
        assert all(folder.exists() for folder in alive)
    finally:
        orphan.kill()
        for folder in alive:
            folder.rmdir()
        group.remove()
    assert not group.memory.exists() and not group.pids.exists()


def test_an_interrupted_run_leaves_no_child_behind(tmp_path):
    """Ctrl-C while a run is under way (as in `awaitlings watch`) kills the child and what it started."""
    pid_file = tmp_path / "child.pid"
    top = f"import os, signal\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
    body = "    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # a check it cannot leave\n    while True:\n        pass"
    submission = _submit(tmp_path / "submission", body, top)

    class Interrupted(Exception):
        pass

    def interrupt(*_):
        raise Interrupted

    def when_running():
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        threading.Thread(target=when_running, daemon=True).start()
        with pytest.raises(Interrupted):
            run_pytest(["checks/03_gather"], submission, wall_limit=120, in_process=True)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    time.sleep(0.2)
    assert not _alive(int(pid_file.read_text())), "the interrupted run's child survived"


def test_code_that_swallows_its_own_stopping_does_not_hold_the_run(tmp_path):
    """`except BaseException: pass` in a loop catches the time limit's exception, and its abandoned
    coroutine catches its own closing when collected: the run still ends, every check recorded,
    long before the wall-clock limit (it took the whole limit, twice in a batch, before)."""
    body = "    while True:\n        try:\n            await asyncio.sleep(3600)\n        except BaseException:\n            pass"
    outcome = run_pytest(["checks/03_gather"], _submit(tmp_path, body), wall_limit=120, check_timeout=2, in_process=True)
    assert outcome.returncode is not None, "the run was killed at the wall-clock limit"
    settled = {k: r for k, r in outcome.records.items() if "settled" in k}
    assert settled and all(r.outcome == "failed" for r in settled.values()), settled
    assert all(r.outcome != "collected" for r in outcome.records.values())


def test_sweep_removes_only_the_scratch_of_ended_graders(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale = tmp_path / f"awaitlings-sandbox-{ended.pid}.x1"
    (stale / "deep").mkdir(parents=True)
    with runner.scratch_folder("awaitlings-unpacked-") as ours:
        others = [tmp_path / "awaitlings-notes", tmp_path / f"other-{ended.pid}.x"]
        for folder in others:
            folder.mkdir()
        assert runner.sweep_scratch() == [stale]
        assert ours.is_dir() and all(folder.is_dir() for folder in others) and not stale.exists()


def test_a_sandbox_run_deletes_check_files_of_its_copy_never_the_kits(tmp_path, capsys):
    """The sandbox deletes the checks it imported (learner code must not read them), but a sandbox
    run started by hand in the kit leaves the kit's files, and says so."""
    from types import SimpleNamespace

    from grader import catalog, plugin

    check = tmp_path / "checks" / "03_gather" / "test_gather_checks.py"
    check.parent.mkdir(parents=True)
    for root, kept in ((catalog.KIT_ROOT, True), (tmp_path, False)):
        check.write_text("def test_x(): pass\n")
        session = SimpleNamespace(config=SimpleNamespace(rootpath=root), items=[SimpleNamespace(path=check)])
        plugin._remove_check_sources(session)
        assert check.exists() == kept
    assert "its check files are kept" in capsys.readouterr().err


@pytest.mark.skipif(not runner.jail_available(), reason="the session is process 1 only in the jail")
def test_an_exercise_that_interrupts_its_session_stops_only_itself(tmp_path):
    """01's module sends SIGINT to the session it was forked from, then exits: the session goes on
    with 03 in the same run (a fork per exercise), and only 01 is left without results."""
    from grader import batch

    solved_01 = (KIT_ROOT / "solutions" / "01_coroutines" / "coroutines.py").read_text()
    sources = {"01_coroutines": "import os, signal\nos.kill(os.getppid(), signal.SIGINT)\nos._exit(0)\n" + solved_01,
               "03_gather": (KIT_ROOT / "solutions" / "03_gather" / "gather.py").read_text()}
    plan = batch.plan(KIT_ROOT, ["01", "03"])
    outcome = batch._run(plan, sources, plan.exercises, ())
    done = {r.exercise for r in outcome.records.values() if r.outcome != "collected"}
    assert done == {"03_gather"} and outcome.returncode == 0, (done, outcome.returncode, outcome.output[-2000:])
    assert all(r.outcome == "passed" for r in outcome.records.values() if r.exercise == "03_gather")


RECORDS_PATH = """
import os
def _records_path():
    for fd in os.listdir("/proc/self/fd"):
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if path.endswith("records.jsonl"):
            return path
"""
BASETEMP = """
import os
_args = open("/proc/self/cmdline", "rb").read().split(b"\\0")
_base = _args[_args.index(b"--basetemp") + 1].decode()
"""
# 01 as solved, with one change to what later exercises share with it (red-team pass 8)
SHARED = {
    "replaces_os_exit": "import os, time\nos._exit = lambda code: time.sleep(3600)\n",
    "lowers_the_sessions_file_limit": "import resource\nresource.prlimit(1, resource.RLIMIT_NOFILE, (12, 12))\n",
    "leaves_a_file_where_tmp_path_goes": BASETEMP + "import shutil\nshutil.rmtree(_base, ignore_errors=True)\n"
    "os.makedirs(os.path.dirname(_base), exist_ok=True)\nopen(_base, 'w').close()\n",
    "fills_the_temporary_folders": BASETEMP + "for folder in (os.path.dirname(_base), '/tmp', '/dev/shm'):\n"
    "    for n in range(8):\n        try:\n            with open(f'{folder}/fill{n}', 'wb') as f:\n"
    "                f.write(bytes(64 << 20))\n        except OSError:\n            pass\n",
    "writes_a_line_too_deep_for_json": RECORDS_PATH + "with open(_records_path(), 'a') as f:\n    f.write('[' * 100_000 + '\\n')\n",
}


@pytest.mark.skipif(not runner.jail_available(), reason="the session is process 1 only in the jail")
@pytest.mark.parametrize("change", SHARED)
def test_what_one_exercise_leaves_in_the_session_never_costs_another(change, tmp_path):
    """Each change gave a correct 09 (or every exercise) 0 before: the next exercises now get full marks."""
    from grader import batch, intake

    sources = {name: (KIT_ROOT / "solutions" / name / f"{module}.py").read_text()
               for name, module in (("01_coroutines", "coroutines"), ("03_gather", "gather"), ("09_file_io", "logfiles"))}
    sources["01_coroutines"] = SHARED[change] + sources["01_coroutines"]
    plan = batch.plan(KIT_ROOT, ["01", "03", "09"])
    result = batch.grade_learner(plan, intake.Entry("evil", tmp_path), sources, {})
    lost = {c.exercise: c.message[:200] for c in result.checks if c.points < c.max_points}
    assert not lost, lost
