"""Rebuild examples/class, the sample class the README's quick start grades.

Run it after adding an exercise: the full-marks learners get every reference solution.
The learners' particular mistakes live in examples/mistakes/ and tests/submissions/.

    python examples/make_class.py
"""

import io
import shutil
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASS = ROOT / "examples" / "class"
MISTAKES = ROOT / "examples" / "mistakes"
SUBMISSIONS = ROOT / "tests" / "submissions"


def modules(folder: str) -> dict[str, bytes]:
    """exercise folder -> module source, for every exercise in ``folder`` (solutions or exercises)."""
    found = {}
    for toml in sorted((ROOT / "exercises").glob("*/exercise.toml")):
        module = next(line.split('"')[1] for line in toml.read_text().splitlines() if line.startswith("module"))
        found[f"{toml.parent.name}/{module}.py"] = (ROOT / folder / toml.parent.name / f"{module}.py").read_bytes()
    return found


def write(learner: str, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = CLASS / learner / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main() -> None:
    shutil.rmtree(CLASS, ignore_errors=True)
    solved, stubs = modules("solutions"), modules("exercises")
    write("ada", solved)  # full marks
    write("bob", stubs)  # never started
    write("cy", {  # partial: one right, the rest with the classic mistakes
        "01_coroutines/coroutines.py": solved["01_coroutines/coroutines.py"],
        "02_event_loop/interleave.py": (SUBMISSIONS / "02_event_loop" / "sequential_awaits.py").read_bytes(),
        "03_gather/gather.py": (SUBMISSIONS / "03_gather" / "sequential_loop.py").read_bytes(),
        "07_queues/pipeline.py": (SUBMISSIONS / "07_queues" / "never_stops.py").read_bytes(),  # the seed's consumer
        "10_chat_server/chat.py": (SUBMISSIONS / "10_chat_server" / "echoes_to_sender.py").read_bytes(),  # the seed's server
    })
    for learner, mistake in (("eve", "syntax_error.py"), ("fay", "exits_midway.py"), ("hal", "endless_loop.py")):
        write(learner, {**solved, "03_gather/gather.py": (MISTAKES / mistake).read_bytes()})
    write("gus", stubs)  # stubs, and a conftest.py and pytest.ini that would pass everything
    shutil.copy(MISTAKES / "conftest_hijack.py", CLASS / "gus" / "conftest.py")
    shutil.copy(MISTAKES / "conftest_hijack.py", CLASS / "gus" / "03_gather" / "conftest.py")
    (CLASS / "gus" / "pytest.ini").write_text("[pytest]\naddopts = -p no:grader.plugin\n")
    with zipfile.ZipFile(CLASS / "dee.zip", "w") as zipped:  # a GitHub Classroom export: a top folder
        for name, data in solved.items():
            zipped.writestr(f"dee-main/exercises/{name}", data)
    with tarfile.open(CLASS / "ivy.tar.gz", "w:gz") as tarred:  # an LMS export holding 01 only
        data = solved["01_coroutines/coroutines.py"]
        info = tarfile.TarInfo("./01_coroutines/coroutines.py")
        info.size = len(data)
        tarred.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main()
