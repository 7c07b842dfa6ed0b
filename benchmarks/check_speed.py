"""How long the hidden checks take on the reference solutions, all exercises in one pytest child.

Prints the time inside each exercise's checks and the totals against the issues' goals:
01-03 under 1 s, 01-09 under 3 s, all 16 under 5 s.

    python benchmarks/check_speed.py
"""

import time
from collections import defaultdict
from pathlib import Path

from grader import catalog
from grader.runner import run_pytest

ROOT = Path(__file__).resolve().parent.parent
GOALS = [("01", "03", 1.0), ("01", "09", 3.0), ("01", "16", 5.0)]  # first, last exercise number, seconds


def main() -> None:
    names = [folder.name for folder in catalog.folders(ROOT)]
    start = time.perf_counter()
    outcome = run_pytest([f"checks/{name}" for name in names], ROOT / "solutions", root=ROOT)
    wall = time.perf_counter() - start
    per_exercise: dict[str, float] = defaultdict(float)
    for record in outcome.records.values():
        per_exercise[record.exercise] += record.duration
    for name in names:
        print(f"  {name:<22} {per_exercise[name]:6.3f} s")
    for first, last, goal in GOALS:
        total = sum(s for n, s in per_exercise.items() if first <= n[:2] <= last)
        print(f"{first}-{last}: {total:.3f} s inside the checks (goal < {goal:g} s)")
    print(f"{len(outcome.records)} checks; wall time of the one pytest child: {wall:.3f} s (start-up included)")
    failed = [r.check for r in outcome.records.values() if r.outcome != "passed"]
    if failed:
        print(f"FAILED on the reference: {', '.join(failed)}")


if __name__ == "__main__":
    main()
