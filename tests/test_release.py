"""`awaitlings release`: the student kit is complete, the same every time, hides what it must, and works alone."""

import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest
from autograding_checks import REPO, leaks, secret_lines, tree

from grader import catalog, release, stubs

NEVER = ("solutions/", "checks/", "tests/", "examples/", "benchmarks/", ".ci/")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "kit"
    made = release.release(REPO, out)
    return made


def test_the_kit_has_what_a_learner_needs_and_nothing_else(kit):
    files = tree(kit.out)
    for name in ("README.md", "pyproject.toml", "pytest.ini", ".gitignore", release.WORKFLOW, "grader/plugin.py",
                 "grader/templates/autograde.yml"):
        assert name in files, name
    assert not [name for name in files if name.startswith(NEVER)]
    assert kit.exercises, "no exercise released"
    for name in kit.exercises:
        exercise = catalog.load(kit.out / "exercises" / name)
        assert stubs.untouched(files[f"exercises/{name}/{exercise.filename}"], exercise)
        assert f"exercises/{name}/README.md" in files and f"exercises/{name}/exercise.toml" in files
        assert any(n.startswith(f"exercises/{name}/test_") for n in files)
        assert f"| {exercise.number} | `{name}` |" in files["README.md"].decode()
    ini = files["pytest.ini"].decode()
    assert "points(n)" in ini and "testpaths = exercises" in ini
    workflow = files[release.WORKFLOW].decode()
    assert "--exercise " + " ".join(n[:2] for n in kit.exercises) in workflow


def test_the_kit_holds_no_solution_or_check_source(kit):
    secrets = secret_lines(REPO, kit.exercises)
    assert len(secrets) > 50  # the scan has something to look for
    texts = {name: data.decode("utf-8", "replace") for name, data in tree(kit.out).items()}
    assert leaks(texts, secrets) == []
    for name in kit.exercises:
        for solution in (REPO / "solutions" / name).glob("*.py"):
            assert solution.read_text() not in texts.values()


def test_a_planted_solution_or_check_line_never_ships(tmp_path):
    source = tmp_path / "instructor"
    for folder in ("exercises", "solutions", "checks"):
        shutil.copytree(REPO / folder / "03_gather", source / folder / "03_gather",
                        ignore=shutil.ignore_patterns("__pycache__", "*.bak-*"))
    shutil.copytree(REPO / "grader", source / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    with (source / "solutions/03_gather/gather.py").open("a") as solution:
        solution.write("\n# CANARY-OF-THE-SOLUTION-7f3a\n")
    with (source / "checks/03_gather/test_gather_checks.py").open("a") as check:
        check.write("\n# CANARY-OF-THE-CHECKS-91b2\n")
    made = release.release(source, tmp_path / "kit")
    assert made.exercises == ["03_gather"]
    shipped = b"".join(tree(made.out).values())
    assert b"CANARY-OF-THE-SOLUTION" not in shipped and b"CANARY-OF-THE-CHECKS" not in shipped
    release.write_checks_archive(source, tmp_path / "checks.tar.gz")
    with tarfile.open(tmp_path / "checks.tar.gz") as pack:
        packed = b"".join(pack.extractfile(m).read() for m in pack.getmembers() if m.isfile())
        names = pack.getnames()
    assert b"CANARY-OF-THE-CHECKS" in packed and b"CANARY-OF-THE-SOLUTION" not in packed
    assert not [n for n in names if "/solutions/" in n]


def test_releasing_twice_gives_the_same_tree_and_archive(kit, tmp_path):
    again = release.release(REPO, tmp_path / "again")
    assert tree(again.out) == tree(kit.out)
    (kit.out / "exercises" / kit.exercises[0] / "notes.txt").write_text("the instructor's own file")
    assert release.release(REPO, kit.out).files == again.files  # into an earlier release: replaced in place
    assert (kit.out / "exercises" / kit.exercises[0] / "notes.txt").exists()  # what it did not make is kept
    (kit.out / "exercises" / kit.exercises[0] / "notes.txt").unlink()
    assert tree(kit.out) == tree(again.out)
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    release.write_checks_archive(REPO, first, ["01"])
    release.write_checks_archive(REPO, second, ["01"])
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as pack:
        members = pack.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {m.mtime for m in members} == {release.ARCHIVE_TIME} and {m.uid for m in members} == {0}
    assert all(m.name.startswith(release.CHECKS_TOP + "/") for m in members)


def test_release_refuses_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.tex").write_text("mine")
    done = subprocess.run([sys.executable, "-m", "grader.cli", "release", "--out", str(tmp_path / "busy")],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2 and "is not empty" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "busy" / "thesis.tex").read_text() == "mine"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "--root", str(tmp_path), "release", "--out",
                           str(tmp_path / "kit")], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def _fresh_venv(tmp_path: Path) -> Path:
    """A new venv that sees this environment's dependencies but not this kit: offline, as CI runs."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    ours = Path(sysconfig.get_paths()["purelib"])
    deps = tmp_path / "deps"
    deps.mkdir()
    for entry in ours.iterdir():
        if not (entry.name.lower().startswith(("awaitlings", "__editable__", "grader")) or entry.suffix == ".pth"):
            (deps / entry.name).symlink_to(entry)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(f"{deps}\n")
    return python


@pytest.mark.timeout(240)
def test_the_released_kit_installs_and_runs_alone(kit, tmp_path):
    learner = tmp_path / "learner-kit"
    shutil.copytree(kit.out, learner)
    python = _fresh_venv(tmp_path)
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                              "--no-index", "-e", str(learner)], capture_output=True, text=True, check=False, timeout=180)
    assert install.returncode == 0, install.stdout + install.stderr
    where = subprocess.run([python, "-c", "import grader; print(grader.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=False, timeout=60)
    assert Path(where.stdout.strip()).parent == learner / "grader", where.stdout + where.stderr
    exercise = catalog.load(learner / "exercises" / "03_gather")
    untouched = subprocess.run([python, "-m", "pytest", "exercises/03_gather"], cwd=learner,
                               capture_output=True, text=True, check=False, timeout=120)
    assert untouched.returncode == 1 and "is not implemented yet" in untouched.stdout, untouched.stdout[-2000:]
    shutil.copy(REPO / "solutions" / "03_gather" / exercise.filename, learner / "exercises" / "03_gather")
    solved = subprocess.run([python, "-m", "pytest", "exercises/03_gather"], cwd=learner,
                            capture_output=True, text=True, check=False, timeout=120)
    assert solved.returncode == 0 and " passed" in solved.stdout, solved.stdout[-2000:]
    awaitlings = python.parent / "awaitlings"
    hint = subprocess.run([awaitlings, "hint", "03"], cwd=learner, capture_output=True, text=True, check=False, timeout=60)
    assert hint.returncode == 0 and "Hint 1 of" in hint.stdout, hint.stdout + hint.stderr
    graded = subprocess.run([awaitlings, "ci", "--out", str(tmp_path / "out")], cwd=learner,
                            capture_output=True, text=True, check=False, timeout=60)
    assert graded.returncode == 2 and "no hidden checks" in graded.stderr  # the kit has none to grade with
