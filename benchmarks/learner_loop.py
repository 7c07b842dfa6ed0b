"""What the learner waits for: `pytest exercises/03_gather` against bare pytest on one async test.

Prints the median wall time of 10 runs of each and their ratio (goal: at most 1.2).
Both run with the plugins a learner's environment autoloads.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 10
TRIVIAL = """
import asyncio
import pytest


@pytest.mark.asyncio
async def test_trivial():
    await asyncio.sleep(0)
"""


def median_seconds(command: list[str], cwd: Path) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "test_trivial.py").write_text(TRIVIAL)
        bare = median_seconds(pytest + ["test_trivial.py"], Path(scratch))
    exercise = median_seconds(pytest + ["exercises/03_gather", "--submission", "solutions"], ROOT)
    print(f"bare pytest, one async test:    {bare:.3f} s (median of {RUNS})")
    print(f"pytest exercises/03_gather:     {exercise:.3f} s (median of {RUNS})")
    print(f"ratio:                          {exercise / bare:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    main()
