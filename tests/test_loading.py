"""A broken learner file gets one line naming file and line; the other exercises still run."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog
from grader.runner import run_pytest

GATHER = catalog.find("03")
ROOT = catalog.KIT_ROOT
SOLUTION = (ROOT / "solutions" / "03_gather" / "gather.py").read_text()


def _others():
    return [e for e in catalog.exercises() if e.name != GATHER.name]


def _submit(tmp_path, gather_source):
    """A submission with a given gather.py and every other exercise solved."""
    for exercise in _others():
        shutil.copytree(ROOT / "solutions" / exercise.name, tmp_path / exercise.name)
    folder = tmp_path / GATHER.name
    folder.mkdir()
    if gather_source is not None:
        (folder / "gather.py").write_text(gather_source)
    return tmp_path


def _grade(submission, **limits):
    paths = ["checks"] + [f"exercises/{e.name}" for e in catalog.exercises()]
    return run_pytest(paths, submission, **limits).records.values()


BROKEN = {
    "syntax": ("async def fetch_all(fetch, items)\n    return []\n", "gather.py:1: SyntaxError: expected ':'"),
    "await in a plain def": ("async def fetch_all(fetch, items):\n    return []\n\ndef helper(fetch):\n    return await fetch(1)\n",
                             "gather.py:5: SyntaxError: 'await' outside async function"),
    "NUL byte": ("import asyncio\n\nx = 1\0\n", "gather.py:3: SyntaxError: source code string cannot contain null bytes"),
    "import-time error": ("import asyncio\nCONFIG = {}['missing']\n", "gather.py:2: importing your file raised KeyError: 'missing'"),
    "exit at import": ("raise SystemExit(3)\n", "gather.py:1: importing your file raised SystemExit: 3"),
    "missing function": ("async def fetch_everything(fetch, items):\n    return []\n", "gather.py has no function named fetch_all"),
    "missing file": (None, "gather.py is missing from"),
    "endless import": ("while True:\n    pass\n", "importing your file did not finish in time"),
}


@pytest.mark.parametrize("source, line", BROKEN.values(), ids=BROKEN.keys())
def test_broken_file_gets_one_line_and_others_run(tmp_path, source, line):
    records = list(_grade(_submit(tmp_path, source), check_timeout=3))
    mine = [r for r in records if r.exercise == GATHER.name]
    assert mine and all(r.outcome == "failed" for r in mine)
    assert all(line in r.message.splitlines()[0] for r in mine), [r.message for r in mine]
    assert all("Traceback" not in r.message for r in mine)
    others = [r for r in records if r.exercise != GATHER.name]
    assert all(r.outcome == "passed" for r in others), [(r.check, r.message) for r in others if r.outcome != "passed"]


def test_async_syntax_in_a_plain_def_gets_its_next_step(tmp_path):
    from grader.failure import CheckFailed
    from grader.learner import load_module

    path = tmp_path / "gather.py"
    path.write_text("def fetch_all(fetch, items):\n    return [await fetch(item) for item in items]\n")
    with pytest.raises(CheckFailed) as failed:
        load_module(path, GATHER)
    assert failed.value.advice.startswith("Only an `async def` may hold `await`, `async for` or `async with`: "
                                          "make the function around line 2 `async def`")


def test_file_named_like_stdlib_module_is_never_imported(tmp_path):
    submission = _submit(tmp_path, SOLUTION)
    (submission / GATHER.name / "asyncio.py").write_text("raise RuntimeError('shadowed!')\n")
    (submission / GATHER.name / "queue.py").write_text("raise RuntimeError('shadowed!')\n")
    records = [r for r in _grade(submission) if r.exercise == GATHER.name]
    assert records and all(r.outcome == "passed" for r in records), [r.message for r in records]


def test_endless_loop_is_stopped_with_a_message(tmp_path):
    source = SOLUTION.replace('"""Fetch every item at the same time; return the results in the order of `items`."""', "while True:\n        pass")
    records = [r for r in _grade(_submit(tmp_path, source), check_timeout=2) if r.exercise == GATHER.name]
    stuck = [r for r in records if r.check == "test_fetch_all_runs_fetches_together"]
    assert stuck and stuck[0].outcome == "failed"
    # The check's time limit stops the loop; the watchdog then names what held it.
    assert "One step of your code held the event loop for" in stuck[0].message, stuck[0].message
    assert "Traceback" not in stuck[0].message and "+++" not in stuck[0].message
    assert any(r.outcome == "passed" for r in records if "settled" in r.check)


def test_a_learners_run_shows_no_warning_of_ours():
    """`pytest exercises/03_gather` on the stub shows the teaching failures and no library noise
    (looptime's "no current event loop" DeprecationWarning on 3.12+)."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "exercises/03_gather", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert "not implemented yet" in run.stdout
    assert "warning" not in run.stdout.lower(), run.stdout[-1500:]


def test_a_pool_made_at_import_does_not_outlive_the_learners_run(tmp_path):
    """A ProcessPoolExecutor made at import and never shut down: its workers used to outlive
    pytest for ever, holding its output pipe open, so a learner's `pytest ... | less`, the CLI or
    CI waited for ever too. They end with the run now."""
    folder = tmp_path / "12_cpu_bound"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "submissions" / "12_cpu_bound" / "pool_at_import.py", folder / "crunch.py")
    command = [sys.executable, "-m", "pytest", "exercises/12_cpu_bound", "-q", "-p", "no:cacheprovider",
               "--submission", str(tmp_path)]
    try:
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        left = _processes_running(str(tmp_path))
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} of its processes were still running after the run"
    assert run.returncode == 1 and "FAILED exercises/12_cpu_bound/test_crunch.py::test_crunch_batches" in run.stdout, run.stdout[-1500:]


def _processes_running(marker: str) -> list[int]:
    """The processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_cancellation_awaited_by_the_learner_names_the_await_and_what_to_do(tmp_path):
    """`task.cancel(); await task` raises CancelledError in the learner's own code: the visible test
    names that `await` (not a line inside the task, nor "no line of yours") and how to wait instead."""
    source = (ROOT / "solutions" / "04_tasks" / "tasks.py").read_text().replace(
        "        await asyncio.wait({beating})  # until it has stopped; raises nothing itself", "        await beating")
    folder = tmp_path / "04_tasks"
    folder.mkdir()
    (folder / "tasks.py").write_text(source)
    line = source.splitlines().index("        await beating") + 1
    records = run_pytest(["exercises/04_tasks"], tmp_path).records.values()
    message = next(r.message for r in records if r.check == "test_with_heartbeat_beats_while_the_job_runs")
    assert f"It raised CancelledError at tasks.py:{line} (`await beating`)." in message
    assert "`await asyncio.wait({task})`" in message


@pytest.mark.parametrize("source, advice", [
    ("import asyncio\nimport aiofiles\n\nasync def read_all(paths):\n    texts = []\n    for path in paths:\n"
     "        with aiofiles.open(path) as f:\n            texts.append(await f.read())\n    return texts\n",
     "enter it with `async with`, not `with`"),
    ("import asyncio\nimport aiofiles\n\nasync def read_all(paths):\n    texts = []\n    for path in paths:\n"
     "        async with aiofiles.open(path) as f:\n            texts.append(''.join([line for line in f]))\n"
     "    return texts\n",
     "`async for line in f:`, not `for`"),
], ids=["with", "for"])
def test_an_async_file_used_like_a_plain_one_gets_advice(tmp_path, source, advice):
    folder = tmp_path / "09_file_io"
    folder.mkdir()
    (folder / "logfiles.py").write_text(source)
    records = run_pytest(["exercises/09_file_io"], tmp_path).records.values()
    messages = [r.message for r in records if r.check.startswith("test_read_all")]
    assert messages and all(advice in m for m in messages), messages
