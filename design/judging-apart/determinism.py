"""Judge every known submission of an exercise apart, N times each, and print the checks whose
outcome (verdict and message) was not the same every time.

    python design/judging-apart/determinism.py 07_queues 5
"""

import collections
import shutil
import sys
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(KIT), str(KIT / "tests")]

from check_suites import outcomes, submissions  # noqa: E402
from grader import catalog  # noqa: E402
from grader.remote.learner import RemoteLearner, fork_server  # noqa: E402


def main(name: str, runs: int) -> None:
    exercise = catalog.find(name)
    checks = next((KIT / "checks" / exercise.name).glob("test_*.py"))
    varied = judged = 0
    for path in submissions(exercise):
        seen = collections.defaultdict(set)
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / exercise.name
                folder.mkdir()
                shutil.copy(path, folder / exercise.filename)
                for check, outcome in outcomes(RemoteLearner(exercise, folder, fork_server()), checks).items():
                    seen[check].add(outcome)
        judged += len(seen)
        for check, found in seen.items():
            if len(found) > 1:
                varied += 1
                print(f"varies: {path.stem} {check}: {len(found)} outcomes")
    print(f"{name}: {judged} checks judged {runs} times each, {varied} varied")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
