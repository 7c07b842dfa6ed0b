"""Batch grading throughput: N synthetic learners made from the sample class, graded with
`--jobs 1`, `--jobs 2` and a naive baseline (one sequential `pytest checks --submission`
per learner, no sandbox). Prints learners per second and the ratios measured in this run.

    python benchmarks/batch.py [--learners 8] [--exercise 01 02 ...]
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import batch, catalog

ROOT = catalog.KIT_ROOT
SAMPLES = ["ada", "bob", "cy", "eve", "hal"]  # full marks, stubs, partial, syntax error, endless loop


def make_class(where: Path, count: int) -> Path:
    for number in range(count):
        shutil.copytree(ROOT / "examples" / "class" / SAMPLES[number % len(SAMPLES)], where / f"learner-{number:03}")
    return where


def naive(submissions: Path, exercises: list[str]) -> float:
    """Seconds for one plain pytest per learner, one after another."""
    start = time.perf_counter()
    for learner in sorted(submissions.iterdir()):
        paths = [f"checks/{name}" for name in exercises]
        command = [sys.executable, "-m", "pytest", *paths, "--submission", str(learner), "-q", "-p", "no:cacheprovider"]
        subprocess.run(command, cwd=ROOT, capture_output=True, timeout=900)
    return time.perf_counter() - start


def batched(submissions: Path, plan: batch.Plan, jobs: int) -> tuple[float, list[batch.LearnerResult], float]:
    """Wall seconds, results, and the CPU seconds of the runs' processes (all reaped by the end)."""
    with tempfile.TemporaryDirectory() as out:
        before = _children_cpu()
        start = time.perf_counter()
        results = batch.grade(submissions, Path(out), plan, jobs=jobs, resume=False)
        return time.perf_counter() - start, results, _children_cpu() - before


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--exercise", nargs="*", default=None, help="exercise numbers (default: all)")
    options = parser.parse_args()
    plan = batch.plan(ROOT, options.exercise)
    names = [e.name for e in plan.exercises]
    count = options.learners
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        submissions = make_class(Path(scratch), count)
        one, _, _ = batched(_only(submissions, scratch), plan, 1)
        naive_s = naive(submissions, names)
        jobs1_s, _, _ = batched(submissions, plan, 1)
        jobs2_s, results, cpu_s = batched(submissions, plan, 2)
    check_s = sum(c.duration for r in results for c in r.checks)
    print(f"{count} learners x {len(names)} exercises ({sum(len(plan.checks[n]) for n in names)} checks each), {cores} cores")
    print(f"one learner (full marks), whole hidden suite: {one:.2f} s wall")
    for label, seconds in (("naive sequential pytest", naive_s), ("awaitlings --jobs 1", jobs1_s), ("awaitlings --jobs 2", jobs2_s)):
        print(f"  {label:<24} {seconds:7.2f} s  {count / seconds:6.2f} learners/s  {naive_s / seconds:5.2f}x naive")
    print(f"time inside checks, summed: {check_s:.2f} s; / {cores} cores = {check_s / cores:.2f} s; "
          f"--jobs 2 wall is {jobs2_s / (check_s / cores):.2f}x that")
    print(f"CPU time of the learners' runs (start-up, jail, pytest and checks), summed: {cpu_s:.2f} s; "
          f"/ {cores} cores = {cpu_s / cores:.2f} s; --jobs 2 wall is {jobs2_s / (cpu_s / cores):.2f}x that")


def _only(submissions: Path, scratch: str) -> Path:
    """A class holding the first (full-marks) learner alone."""
    alone = Path(scratch) / "alone"
    shutil.copytree(submissions / "learner-000", alone / "learner-000")
    return alone


if __name__ == "__main__":
    main()
