"""A temporary copy of the kit for the CLI's tests: exercise 03 and a second exercise after it.

Only 03_gather is copied from the repository, with visible tests of its own (three,
fixed here), so exercises added, half-written or reworked later do not change what these
tests see. The second exercise, 04_regather, is 03
under another number and title, so there is a "next exercise" to move on to.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from grader import catalog, stubs

REPO = Path(__file__).resolve().parent.parent
SOURCE = "03_gather"
SECOND = "04_regather"
SECOND_TITLE = "Gather once more, under another number"


VISIBLE_TESTS = '''"""Three visible tests, fixed for the CLI's tests."""

from grader import expect
from grader.probes import Probe

GATHER = "asyncio.gather(*(fetch(item) for item in items))"


def test_fetch_all_returns_results_in_order(learner):
    """fetch_all returns one result per item, in the order of items"""
    fetch = Probe(delay={"slow": 3.0, "quick": 1.0}.__getitem__)
    call = learner.run("fetch_all", fetch, ["slow", "quick"])
    expect.results(call, ["result of slow", "result of quick"], fetch, concept="asyncio.gather")


def test_fetch_all_runs_fetches_together(learner):
    """3 fetches of 1 s take 1 s of loop time, not 3 s"""
    fetch = Probe(delay=1.0)
    call = learner.run("fetch_all", fetch, ["a", "b", "c"])
    expect.ran_together(call, fetch, concept=GATHER, items=["a", "b", "c"])


def test_fetch_all_settled_keeps_failures_in_place(learner):
    """fetch_all_settled puts a failure's exception in its place and does not raise"""
    error = ValueError("b is broken")
    fetch = Probe(delay=1.0, errors={"b": error})
    call = learner.run("fetch_all_settled", fetch, ["a", "b", "c"])
    expect.results(call, ["result of a", error, "result of c"], fetch, concept="return_exceptions=True")
'''


def make_kit(tmp_path: Path) -> Path:
    root = tmp_path / "kit"
    leftovers = shutil.ignore_patterns("*.bak-*", "__pycache__", ".*")  # of someone's work in the repository
    for folder in ("exercises", "solutions"):
        shutil.copytree(REPO / folder / SOURCE, root / folder / SOURCE, ignore=leftovers)
        shutil.copytree(REPO / folder / SOURCE, root / folder / SECOND, ignore=leftovers)
    for name in (SOURCE, SECOND):
        for visible in (root / "exercises" / name).glob("test_*.py"):
            visible.unlink()
        (root / "exercises" / name / "test_gather.py").write_text(VISIBLE_TESTS, encoding="utf-8")
    exercise = catalog.load(root / "exercises" / SOURCE)
    assert stubs.untouched(module(root).read_bytes(), exercise), f"exercises/{SOURCE} in the repository is not the stub"
    toml = root / "exercises" / SECOND / "exercise.toml"
    lines = toml.read_text(encoding="utf-8").splitlines()
    lines = [f'title = "{SECOND_TITLE}"' if line.startswith("title =") else line for line in lines]
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def module(root: Path, exercise: str = SOURCE) -> Path:
    return root / "exercises" / exercise / "gather.py"


def solve(root: Path, exercise: str = SOURCE) -> None:
    """Save the reference solution over the learner's file, as an editor that saves by rename does."""
    target = module(root, exercise)
    scratch = target.with_name(".gather.py.swp-tmp")
    scratch.write_bytes((root / "solutions" / exercise / "gather.py").read_bytes())
    scratch.replace(target)


def cli(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``awaitlings`` as a learner does, from the kit's folder, output piped."""
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=root, capture_output=True, text=True,
        env=env, timeout=60, check=False,
    )
