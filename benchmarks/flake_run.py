"""Verdict stability under CPU load: every check on the solutions and on every known
submission, N rounds while `stress-ng --cpu 2` (or, without it, two Python spinners)
loads both cores. Prints each check whose verdict flipped between rounds; goal: 0.

    python benchmarks/flake_run.py [--rounds 20] [--exercise 07_queues ...]
"""

import argparse
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from grader.runner import run_pytest  # noqa: E402
from submission_cases import all_cases  # noqa: E402


def _spin() -> None:
    while True:
        pass


def start_load() -> list:
    if shutil.which("stress-ng"):
        print("load: stress-ng --cpu 2")
        return [subprocess.Popen(["stress-ng", "--cpu", "2", "--quiet"])]
    print("load: two Python spinners (stress-ng not installed)")
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(2)]
    for spinner in spinners:
        spinner.start()
    return spinners


def subjects(scratch: Path, exercises: list[str]) -> dict[str, tuple[list[str], Path]]:
    """name -> (check paths, submission folder), for ``exercises`` (all when empty)."""
    paths = [f"checks/{name}" for name in exercises] or ["checks"]
    found = {"solutions": (paths, ROOT / "solutions")}
    for case in all_cases():
        if exercises and case.exercise.name not in exercises:
            continue
        folder = scratch / case.id.replace("/", "__")
        case.install(folder)
        found[case.id] = ([f"checks/{case.exercise.name}"], folder)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--exercise", nargs="*", default=[], help="exercise folders (default: all)")
    options = parser.parse_args()
    rounds = options.rounds
    verdicts: dict[str, set[str]] = {}
    load = start_load()
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            todo = subjects(Path(scratch), options.exercise)
            for round_number in range(1, rounds + 1):
                for name, (paths, submission) in todo.items():
                    for record in run_pytest(paths, submission, root=ROOT).records.values():
                        verdicts.setdefault(f"{name} :: {record.nodeid}", set()).add(record.outcome)
                print(f"round {round_number}/{rounds} done ({time.perf_counter() - start:.0f} s)", flush=True)
    finally:
        for process in load:
            process.terminate()
    flips = sorted(key for key, seen in verdicts.items() if len(seen) > 1)
    print(f"{len(verdicts)} verdicts x {rounds} rounds under load: {len(flips)} flipped")
    for key in flips:
        print(f"  FLIP {key}: {sorted(verdicts[key])}")


if __name__ == "__main__":
    main()
