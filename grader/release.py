"""``awaitlings release``: the student kit, and the private pack of hidden checks.

The student kit is what learners get: each exercise's stub, visible tests, README and
hints, the ``grader`` package (the harness and the CLI: no check, no solution), a learner
README, ``pyproject.toml``, ``pytest.ini`` and ``.github/workflows/autograde.yml``. Never
``solutions/``, ``checks/``, ``tests/`` or ``examples/``.

The checks pack is what CI and Gradescope grade with: ``grader``, ``checks/NN_topic`` and
each ``exercise.toml``, installable with pip (still no solution). It stays private.

Both are deterministic: the same kit gives the same files, in the same order, with the
same bytes; archives carry sorted members with fixed times and owners.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog, names, stubs, verify
from grader.kit import Kit

TEMPLATES = Path(__file__).resolve().parent / "templates"
MANIFEST = ".awaitlings-release"
WORKFLOW = ".github/workflows/autograde.yml"
CHECKS_TOP = "awaitlings-checks"  # the one top folder of the checks archive (pip wants one)
ARCHIVE_TIME = 315532800  # 1980-01-01T00:00:00Z: zip's earliest date, used for tar too
LEFT_OUT = ("__pycache__",)
LEFT_OUT_SUFFIXES = (".pyc", ".pyo", ".swp", ".orig", ".rej", "~")
IGNORE = """\
# awaitlings: your progress and saved stubs, backups made by `awaitlings reset`
.awaitlings/
exercises/*/*.bak-*
# what the autograding workflow fetches and writes
.awaitlings-checks/
awaitlings-results/
__pycache__/
*.egg-info/
.venv/
"""
PYTEST_INI = """\
[pytest]
# importlib mode: exercise folders never land on sys.path, so your queue.py or
# asyncio.py cannot shadow the standard library.
addopts = --import-mode=importlib --strict-markers -p no:cacheprovider
testpaths = exercises
markers =
    points(n): a graded check worth n points
timeout = 30
timeout_method = signal
asyncio_default_fixture_loop_scope = function
"""


class ReleaseError(Exception):
    """The kit cannot be released as asked; the message says why and what to do."""


@dataclass
class Release:
    out: Path
    exercises: list[str]
    files: list[str]  # relative paths written, sorted
    skipped: dict[str, str] = field(default_factory=dict)  # exercise -> why it was left out


def _kept(path: Path, base: Path) -> bool:
    """Whether a file under ``base`` belongs in a release (no caches, backups, hidden files)."""
    parts = path.relative_to(base).parts
    if any(p.startswith(".") or p in LEFT_OUT for p in parts) or ".bak-" in path.name:
        return False
    return path.is_file() and not path.is_symlink() and not path.name.endswith(LEFT_OUT_SUFFIXES)


def _tree(base: Path, prefix: str) -> dict[str, bytes]:
    return {f"{prefix}/{p.relative_to(base).as_posix()}": p.read_bytes() for p in sorted(base.rglob("*")) if _kept(p, base)}


def releasable(root: Path, only: list[str] | None = None) -> tuple[list[catalog.Exercise], dict[str, str]]:
    """The complete exercises (stub, README, hints, visible tests, checks, solution), and why others are left out."""
    chosen, skipped = [], {}
    wanted = names.folder_names(root, only)
    for folder in catalog.folders(root):
        if wanted is not None and folder.name not in wanted:
            continue
        try:
            exercise = catalog.load(folder)
        except ValueError as error:
            skipped[folder.name] = f"unreadable exercise.toml: {error}"
            continue
        problems = verify.check_files(exercise, root)
        if problems:
            skipped[folder.name] = "; ".join(problems)
        else:
            chosen.append(exercise)
    return chosen, skipped


def _stub(root: Path, exercise: catalog.Exercise) -> bytes:
    """The untouched stub: the file as it is if it still is one, else the newest committed stub."""
    path = root / "exercises" / exercise.name / exercise.filename
    text = path.read_bytes()
    if stubs.untouched(text, exercise):
        return text
    found = stubs.from_git(Kit(root), exercise)
    if found is None:
        raise ReleaseError(
            f"exercises/{exercise.name}/{exercise.filename} is not the stub (a function no longer raises "
            "NotImplementedError) and git has no stub of it: put the stub back, then release again"
        )
    return found.text


def _pyproject(root: Path) -> bytes:
    """The learner's pyproject.toml: the kit's package, dependencies and commands, nothing of the instructor's."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    quote = json.dumps  # a TOML basic string is a JSON string for these values
    lines = [
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {quote(project['name'])}",
        f"version = {quote(project['version'])}",
        f"description = {quote(project['description'])}",
        'readme = "README.md"',
        f"requires-python = {quote(project['requires-python'])}",
        "dependencies = [",
        *(f"    {quote(d)}," for d in project["dependencies"]),
        "]",
        "",
        "[project.scripts]",
        *(f"{name} = {quote(target)}" for name, target in sorted(project["scripts"].items())),
        "",
        "[project.entry-points.pytest11]",
        *(f"{name} = {quote(target)}" for name, target in sorted(project["entry-points"]["pytest11"].items())),
        "",
        "[tool.setuptools]",
        'packages = ["grader", "grader.remote"]',
        "",
        "[tool.setuptools.package-data]",
        'grader = ["templates/*"]',
        "",
    ]
    return "\n".join(lines).encode()


def _readme(exercises: list[catalog.Exercise]) -> bytes:
    rows = "\n".join(f"| {e.number} | `{e.name}` | {e.title} |" for e in exercises)
    first = exercises[0].name if exercises else "01_coroutines"
    text = (TEMPLATES / "learner-README.md").read_text(encoding="utf-8")
    return text.replace("{{EXERCISES}}", rows).replace("{{FIRST}}", first).encode()


def kit_files(root: Path, exercises: list[catalog.Exercise]) -> dict[str, bytes]:
    """Every file of the student kit, by relative path."""
    files: dict[str, bytes] = {}
    for exercise in exercises:
        folder = root / "exercises" / exercise.name
        files.update(_tree(folder, f"exercises/{exercise.name}"))
        files[f"exercises/{exercise.name}/{exercise.filename}"] = _stub(root, exercise)
    files.update(_tree(root / "grader", "grader"))
    files["README.md"] = _readme(exercises)
    files["pyproject.toml"] = _pyproject(root)
    files["pytest.ini"] = PYTEST_INI.encode()
    files[".gitignore"] = IGNORE.encode()
    workflow = (TEMPLATES / "autograde.yml").read_text(encoding="utf-8")
    files[WORKFLOW] = workflow.replace("{{EXERCISES}}", " ".join(e.number for e in exercises)).encode()
    return dict(sorted(files.items()))


def checks_files(root: Path, exercises: list[catalog.Exercise]) -> dict[str, bytes]:
    """The private checks pack: the grader, the hidden checks and each exercise's metadata, installable with pip."""
    files = {"pyproject.toml": (root / "pyproject.toml").read_bytes(), "README.md": (root / "README.md").read_bytes()}
    files.update(_tree(root / "grader", "grader"))
    for exercise in exercises:
        files.update(_tree(root / "checks" / exercise.name, f"checks/{exercise.name}"))
        files[f"exercises/{exercise.name}/exercise.toml"] = (root / "exercises" / exercise.name / "exercise.toml").read_bytes()
    return dict(sorted(files.items()))


def _manifest(files: dict[str, bytes]) -> bytes:
    lines = ["# Written by `awaitlings release`: the files it made, and their SHA-256. Re-releasing replaces them."]
    lines += [f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in files.items()]
    return ("\n".join(lines) + "\n").encode()


def _previous(out: Path) -> list[str]:
    """The files an earlier release wrote into ``out``; ReleaseError if ``out`` holds anything else."""
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} is a file: give a new or empty folder for the kit")
    if not out.exists() or not any(p for p in out.iterdir() if p.name != ".git"):
        return []
    manifest = out / MANIFEST
    if not manifest.is_file():
        raise ReleaseError(f"{out} is not empty and holds no earlier release ({MANIFEST}): give a new or empty folder")
    names = [line.split("  ", 1)[1] for line in manifest.read_text(encoding="utf-8").splitlines()
             if "  " in line and not line.startswith("#")]
    return [n for n in names if ".." not in Path(n).parts and not Path(n).is_absolute()]


def _write_tree(out: Path, files: dict[str, bytes], previous: list[str]) -> None:
    for name in previous:
        (out / name).unlink(missing_ok=True)
    for name in sorted(previous, key=lambda n: -n.count("/")):  # empty folders the old release left
        folder = (out / name).parent
        while folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o644)


def release(root: Path, out: Path, only: list[str] | None = None) -> Release:
    """Write the student kit into ``out`` (new, empty, or an earlier release of it)."""
    root, out = root.resolve(), out.resolve()
    if out == root or root.is_relative_to(out):
        raise ReleaseError(f"{out} holds the instructor's kit: give a folder outside it")
    exercises, skipped = releasable(root, only)
    if not exercises:
        why = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "no exercises/NN_topic folder"
        raise ReleaseError(f"no exercise is complete enough to release ({why})")
    previous = _previous(out)
    files = kit_files(root, exercises)
    files[MANIFEST] = _manifest(files)
    _write_tree(out, files, previous)
    return Release(out, [e.name for e in exercises], sorted(files), skipped)


def tar_gz(files: dict[str, bytes], top: str = CHECKS_TOP) -> bytes:
    """A .tar.gz of ``files`` under one top folder: sorted, fixed times, owners and modes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tarred:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mtime, info.mode = len(data), ARCHIVE_TIME, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tarred.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0, filename="") as zipped:
        zipped.write(raw.getvalue())
    return packed.getvalue()


def zip_bytes(files: dict[str, bytes], executable: frozenset[str] = frozenset()) -> bytes:
    """A .zip of ``files``: sorted, dated 1980-01-01, modes 0644 (0755 for ``executable``)."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix: the mode below is honoured
            info.external_attr = ((0o100755 if name in executable else 0o100644) & 0xFFFF) << 16
            zipped.writestr(info, data)
    return packed.getvalue()


def write_checks_archive(root: Path, path: Path, only: list[str] | None = None) -> list[str]:
    """The private checks pack as a .tar.gz (for the archive-URL route); returns the exercises in it."""
    exercises, _ = releasable(root, only)
    if not exercises:
        raise ReleaseError("no exercise is complete enough to pack its checks")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tar_gz(checks_files(root, exercises)))
    return [e.name for e in exercises]
