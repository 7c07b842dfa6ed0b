"""How long the hidden checks of exercises 01-03 take on the reference solutions (goal: < 1 s)."""

import time
from pathlib import Path

from grader.runner import run_pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ["01_coroutines", "02_event_loop", "03_gather"]


def main() -> None:
    paths = [f"checks/{name}" for name in EXERCISES if (ROOT / "checks" / name).is_dir()]
    start = time.perf_counter()
    outcome = run_pytest(paths, ROOT / "solutions", root=ROOT)
    wall = time.perf_counter() - start
    records = list(outcome.records.values())
    in_checks = sum(r.duration for r in records)
    failed = [r.check for r in records if r.outcome != "passed"]
    print(f"{len(records)} checks of {', '.join(p.split('/')[1] for p in paths)} on the solutions")
    print(f"time inside the checks:        {in_checks:.3f} s (goal < 1 s)")
    print(f"wall time of the pytest child: {wall:.3f} s (start-up included)")
    if failed:
        print(f"FAILED on the reference: {', '.join(failed)}")


if __name__ == "__main__":
    main()
