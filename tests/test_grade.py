"""The batch grader on the sample class, on hostile and broken input, and after a kill."""

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from grader import batch, catalog, intake, reports, runner

ROOT = catalog.KIT_ROOT
pytestmark = pytest.mark.timeout(900)  # each test grades a class in child processes
CLASS = ROOT / "examples" / "class"
FIRST_THREE = ["01", "02", "03"]
# Expected points per learner of the sample class, for exercises 01, 02, 03.
EXPECTED = {
    "ada": (10, 10, 10),  # the reference solutions
    "bob": (0, 0, 0),  # untouched stubs
    "cy": (10, 5, 6),  # 01 right, sequential 02 and 03
    "dee": (10, 10, 10),  # a .zip export with a top folder
    "eve": (10, 10, 0),  # a syntax error in 03
    "fay": (10, 10, 7),  # os._exit(0) in 03's fetch_all_settled
    "gus": (0, 0, 0),  # stubs, and a conftest.py and pytest.ini that would pass everything
    "hal": (10, 10, 3),  # an endless loop in 03's fetch_all
    "ivy": (10, 0, 0),  # a .tar.gz holding 01 only
}


@pytest.fixture(scope="module")
def plan():
    return batch.plan(ROOT, FIRST_THREE)


def _scores(results):
    return {r.learner: tuple(int(r.score(e)) for e in ("01_coroutines", "02_event_loop", "03_gather")) for r in results}


def test_sample_class_gets_the_expected_grades_and_outputs(plan, tmp_path):
    results = batch.grade(CLASS, tmp_path, plan, jobs=2)
    assert _scores(results) == EXPECTED
    reports.write_all(tmp_path, plan, results, {"network": "test"})
    rows = list(csv.DictReader(io.StringIO((tmp_path / "gradebook.csv").read_text())))
    assert [r["learner"] for r in rows] == sorted(EXPECTED)
    assert {r["learner"]: int(float(r["total"])) for r in rows} == {k: sum(v) for k, v in EXPECTED.items()}
    fay = (tmp_path / "feedback" / "fay.md").read_text()
    assert "Your code ended its own process before fetch_all_settled returned (exit code 0)" in fay and "Hint:" in fay
    solution = (ROOT / "solutions" / "03_gather" / "gather.py").read_text()
    checks = (ROOT / "checks" / "03_gather" / "test_gather_checks.py").read_text()
    for path in (tmp_path / "feedback").glob("*.md"):
        text = path.read_text()
        assert "return_exceptions=True)\n" not in text or solution not in text
        assert "def test_" not in text and checks[:200] not in text
    assert "most common timing failure" in (tmp_path / "report.html").read_text()
    assert "<svg" in (tmp_path / "feedback" / "cy.md").read_text()  # cy's sequential schedule, drawn


def _learner(tmp_path, name, gather_source):
    folder = tmp_path / "class" / name / "03_gather"
    folder.mkdir(parents=True)
    (folder / "gather.py").write_text(gather_source)
    return tmp_path / "class"


SOLUTION = (ROOT / "solutions" / "03_gather" / "gather.py").read_text()


def test_forged_records_are_dropped(plan, tmp_path):
    forger = SOLUTION.replace("import asyncio", '''import asyncio
import json
import os

def _records():  # judged apart, from the judging process's command line (any ancestor's)
    pid = os.getpid()
    while pid > 1:
        arguments = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        if b"--awaitlings-record" in arguments:
            return arguments[arguments.index(b"--awaitlings-record") + 1].decode()
        pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])


_path = _records()
for _check in ("test_settled_puts_exceptions_in_place", "test_settled_runs_fetches_together"):
    with open(_path, "a") as _out:
        _out.write(json.dumps({"exercise": "03_gather", "check": _check, "title": "", "nodeid": "x::" + _check,
                               "points": 9, "max_points": 9, "outcome": "passed", "message": "", "duration": 0}) + "\\n")
''') + "\n\nasync def fetch_all_settled(fetch, items):\n    raise ValueError\n"
    results = batch.grade(_learner(tmp_path, "forger", forger), tmp_path / "out", plan, jobs=1)
    settled = [c for c in results[0].checks if "settled" in c.check]
    assert settled and all(c.points == 0 for c in settled)
    assert results[0].score("03_gather") == sum(c.max_points for c in plan.checks["03_gather"] if "settled" not in c.check)


def test_isolated_runs_have_loopback_only():
    from grader.runner import isolation_in_force, network_namespace

    prefix = network_namespace()
    assert prefix, "this machine refuses network namespaces (the gradebook would say so)"
    script = (
        "import socket\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "client = socket.create_connection(server.getsockname(), timeout=2)\n"
        "print(sorted(name for _, name in socket.if_nameindex()))\n"
    )
    done = subprocess.run([*prefix, sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['lo']"  # loopback works, and no other interface exists
    assert isolation_in_force()["network"].startswith("loopback only")


@pytest.mark.parametrize("head, newline", [
    ("# -*- coding: latin-1 -*-\n", "\n"),
    ("# -*- coding: latin-1 -*- auteur: François\n", "\n"),  # the comment line itself is latin-1
    ("# François\n# -*- coding: latin-1 -*-\n", "\n"),  # the coding comment on line 2
    ("# -*- coding: latin-1 -*-\r", "\r"),  # old Mac line ends
], ids=["line-1", "latin-1-on-its-line", "line-2", "cr-only"])
def test_a_coding_comment_is_honoured(plan, tmp_path, head, newline):
    """Python reads a module in the encoding its coding comment names (PEP 263), finding the
    comment in bytes, on line 1 or 2: so does the grader."""
    submissions = _learner(tmp_path, "lat", "")
    source = head + SOLUTION.replace("import asyncio", "import asyncio\nCAFE = 'café'", 1).replace("\n", newline)
    (submissions / "lat" / "03_gather" / "gather.py").write_bytes(source.encode("latin-1"))
    result = batch.grade(submissions, tmp_path / "out", plan, jobs=1)[0]
    assert "03_gather" not in result.problems
    assert result.score("03_gather") == sum(c.max_points for c in plan.checks["03_gather"]) > 0


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p.write_bytes(b"\xff\xfe not utf-8"), "is not UTF-8 text"),
        (lambda p: p.write_bytes(b"#" * (intake.MODULE_LIMIT + 1)), "larger than 1 MiB"),
        (lambda p: p.write_bytes(b"# coding: klingon\n"), "its coding comment names an unknown encoding: klingon"),
        (lambda p: p.write_bytes("# coding: utf-8\n# café\n".encode("latin-1")), "is not UTF-8 text"),
        (lambda p: p.write_bytes(b'# coding: raw_unicode_escape\nX = "\\ud800"\n'),
         "names raw_unicode_escape; save the file as UTF-8 to have it graded"),  # it made a lone surrogate: a crash
        (lambda p: p.write_bytes(b"# coding: rot13\nx = 1\n"), "names rot13, which is not a text encoding"),
        (lambda p: p.write_bytes(b"# coding: punycode\n-" + b"a" * 400_000), "names punycode; save the file as UTF-8"),
    ],
    ids=["non-utf8", "huge", "unknown-coding", "lying-coding", "surrogate", "not-text", "slow-codec"],
)
def test_unreadable_module_gets_one_line(plan, tmp_path, make, problem):
    submissions = _learner(tmp_path, "odd", "")
    make(submissions / "odd" / "03_gather" / "gather.py")
    result = batch.grade(submissions, tmp_path / "out", plan, jobs=1)[0]
    assert problem in result.problems["03_gather"]
    assert all(c.points == 0 for c in result.checks if c.exercise == "03_gather")


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in members:
            zipped.writestr(name, data)


def test_archives_with_escaping_paths_are_refused_and_links_skipped(tmp_path):
    """A member outside the archive refuses it; a link is never written out, so a learner who
    zipped a .venv (full of links) beside the exercises is graded on the rest."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    _zip(submissions / "climber.zip", [("../../evil.py", "x = 1"), ("03_gather/gather.py", SOLUTION)])
    (submissions / "broken.zip").write_bytes(b"not a zip at all")
    for entry in intake.entries(submissions):
        with pytest.raises(intake.IntakeError) as error:
            intake.unpack(entry, tmp_path / "unpacked" / entry.learner)
        assert any(w in str(error.value) for w in ("outside the archive", "unreadable archive"))
        assert "unpacked" not in str(error.value)  # no scratch path in a gradebook line
    assert not (tmp_path / "evil.py").exists() and not (tmp_path.parent / "evil.py").exists()
    for old in submissions.iterdir():
        old.unlink()
    link = zipfile.ZipInfo("03_gather/gather.py")
    link.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(submissions / "linker.zip", "w") as zipped:
        zipped.writestr(link, "/etc/passwd")
        zipped.writestr(".venv/bin/python3.py", "x = 1")
    with tarfile.open(submissions / "tarlink.tar.gz", "w:gz") as tarred:
        info = tarfile.TarInfo("03_gather/gather.py")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tarred.addfile(info)
        solved = tarfile.TarInfo("04_tasks/tasks.py")
        solved.size = len(SOLUTION.encode())
        tarred.addfile(solved, io.BytesIO(SOLUTION.encode()))
    plan = batch.plan(ROOT, ["03"])
    for entry in intake.entries(submissions):
        folder = intake.unpack(entry, tmp_path / "unpacked" / entry.learner)
        written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir() and not p.is_symlink())
        assert written == {"linker": [".venv/bin/python3.py"], "tarlink": ["04_tasks/tasks.py"]}[entry.learner]
        # the linked module is marked by a link of ours to nowhere (never the archive's target), to be named
        assert [os.readlink(p) for p in folder.rglob("*") if p.is_symlink()] == ["(a link in the archive: not followed)"]
        _, problems, _ = batch.collect(plan, entry, tmp_path / "collected" / entry.learner)
        assert problems["03_gather"] == "03_gather/gather.py is a link, and links are never followed: submit the file itself"


def test_a_file_beside_a_link_of_the_same_name_is_graded(tmp_path, plan):
    """An archive holding both a link and a file called 03_gather/gather.py (in either order):
    the file is graded, and nothing is written through the link."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    link = zipfile.ZipInfo("03_gather/gather.py")
    link.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(submissions / "zipped.zip", "w") as zipped:
        zipped.writestr(link, "/etc/passwd")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zipped.writestr("03_gather/gather.py", SOLUTION)
    with tarfile.open(submissions / "tarred.tar", "w") as tarred:
        solved = tarfile.TarInfo("03_gather/gather.py")
        solved.size = len(SOLUTION.encode())
        tarred.addfile(solved, io.BytesIO(SOLUTION.encode()))
        info = tarfile.TarInfo("03_gather/gather.py")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tarred.addfile(info)
    for entry in intake.entries(submissions):
        sources, problems, _ = batch.collect(plan, entry, tmp_path / "collected" / entry.learner)
        assert (entry.learner, sources.get("03_gather"), "03_gather" in problems) == (entry.learner, SOLUTION, False)
        assert [p.name for p in (tmp_path / "collected" / entry.learner).rglob("*")] == ["03_gather", "gather.py"]


def test_a_learner_removed_while_the_batch_runs_is_named(tmp_path, plan):
    submissions = tmp_path / "class"
    (submissions / "ada").mkdir(parents=True)
    _zip(submissions / "bob.zip", [("03_gather/gather.py", SOLUTION)])
    ada, bob = intake.entries(submissions)
    shutil.rmtree(ada.path)
    (submissions / "bob.zip").unlink()
    for entry in (ada, bob):
        _, problems, _ = batch.collect(plan, entry, tmp_path / "collected" / entry.learner)
        assert problems == {"*": f"{entry.path.name} was removed while the batch ran; not graded"}


def test_every_archive_kind_is_a_learner_and_other_files_are_named(tmp_path):
    submissions = tmp_path / "class"
    submissions.mkdir()
    for name in ("ada.ZIP", "bob.tar.xz", "cy.tar.bz2", "dee.TGZ"):
        (submissions / name).write_bytes(b"")
    for name in ("submission_metadata.yml", "eve.rar", "gather.py"):
        (submissions / name).write_text("x")
    assert [e.learner for e in intake.entries(submissions)] == ["ada", "bob", "cy", "dee"]
    assert [name for name, _ in intake.skipped(submissions)] == ["eve.rar", "gather.py", "submission_metadata.yml"]
    os.mkfifo(submissions / "fay.zip")  # named like an archive, but a pipe: skipped, and said so
    assert [name for name, _ in intake.skipped(submissions)] == ["eve.rar", "fay.zip", "gather.py", "submission_metadata.yml"]
    (submissions / "grades").mkdir()  # the --out folder inside the class is no learner
    assert [e.learner for e in intake.entries(submissions, leave_out=submissions / "grades")] == ["ada", "bob", "cy", "dee"]
    assert intake.skipped(submissions, leave_out=submissions / "grades")[1] == ("fay.zip", "not a folder or an archive ("
                                                                              + ", ".join(intake.ARCHIVES) + ")")
    assert ("grades", "it is the --out folder") in intake.skipped(submissions, leave_out=submissions / "grades")
    (submissions / "grades").rmdir()
    command = [sys.executable, "-m", "grader.cli", "grade", str(submissions), "--out", str(tmp_path / "o"), "--exercise", "01"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "skipped eve.rar: not a folder or an archive" in done.stderr
    assert "unreadable archive ada.ZIP" in (tmp_path / "o" / "feedback" / "ada.md").read_text()


def test_archives_give_their_python_files_only_and_a_bounded_count(tmp_path, monkeypatch):
    """A dataset zipped beside the exercises is not unpacked (nor counted against the size cap);
    an archive of more members than the grader reads is refused in one line, in either format."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    dataset = ("data/big.bin", b"\0" * (intake.ARCHIVE_LIMIT + 1))
    _zip(submissions / "packer.zip", [dataset, ("work/03_gather/gather.py", SOLUTION)])
    unpacked = intake.unpack(intake.entries(submissions)[0], tmp_path / "unpacked")
    assert sorted(p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()) == [
        "work/03_gather/gather.py"]
    monkeypatch.setattr(intake, "ENTRY_LIMIT", 50)
    many = [(f"junk/{n}.txt", "") for n in range(60)]
    _zip(submissions / "many.zip", many)
    with tarfile.open(submissions / "many.tar.gz", "w:gz") as tarred:
        for name, _ in many:
            tarred.addfile(tarfile.TarInfo(name))
    for entry in intake.entries(submissions)[:2]:
        assert entry.learner in ("many", "many.zip")  # one id each: the later keeps its whole name
        with pytest.raises(intake.IntakeError, match="more than 50 members"):
            intake.unpack(entry, tmp_path / "unpacked-many" / entry.path.name)


def test_missing_or_empty_folder_is_one_line(tmp_path):
    for folder in (tmp_path / "absent", tmp_path):
        with pytest.raises(intake.IntakeError):
            intake.entries(folder)
    command = [sys.executable, "-m", "grader.cli", "grade", str(tmp_path / "absent"), "--out", str(tmp_path / "o")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "is not a folder of submissions" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.timeout(400)
def test_kill_mid_batch_then_rerun_gives_the_same_gradebook(tmp_path):
    command = [sys.executable, "-m", "grader.cli", "grade", str(CLASS), "--jobs", "1", "--exercise", *FIRST_THREE]
    whole = subprocess.run([*command, "--out", str(tmp_path / "whole")], capture_output=True, timeout=300)
    assert whole.returncode == 0, whole.stderr.decode()
    out = tmp_path / "killed"
    grading = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list((out / ".learners").glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(grading.pid, signal.SIGKILL)
    grading.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in (out / ".learners").glob("*.json")}
    assert 3 <= len(finished) < len(EXPECTED)
    left = list(Path(tempfile.gettempdir()).glob(f"awaitlings-*-{grading.pid}.*"))
    assert any(p.name.startswith("awaitlings-unpacked-") for p in left), left  # the killed grader's scratch
    rerun = subprocess.run([*command, "--out", str(out)], capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert not [p for p in left if p.exists()], "the rerun left the killed grader's scratch folders"
    assert (out / "gradebook.csv").read_text() == (tmp_path / "whole" / "gradebook.csv").read_text()
    assert all((out / ".learners" / name).stat().st_mtime_ns == mtime for name, mtime in finished.items())


def test_full_marks_on_every_exercise_and_the_seed_bugs_caught(tmp_path):
    everything = batch.plan(ROOT)
    picked = tmp_path / "class"
    for learner in ("ada", "cy"):
        shutil.copytree(CLASS / learner, picked / learner)
    ada, cy = batch.grade(picked, tmp_path / "out", everything, jobs=2)
    lost = [f"{c.exercise}::{c.check}: {c.outcome}: {c.message}" for c in ada.checks if c.outcome != "passed"]
    assert not lost and not ada.problems, (lost, ada.problems)
    for exercise in everything.exercises:
        assert ada.score(exercise.name) == sum(c.max_points for c in everything.checks[exercise.name]) > 0
    queue = [c for c in cy.checks if c.exercise == "07_queues" and c.outcome == "failed"]
    assert any("Your consumers never stop: the pipeline did not return" in c.message for c in queue), [c.message[:80] for c in queue]
    chat = [c for c in cy.checks if c.exercise == "10_chat_server" and c.outcome == "failed"]
    assert any("sent ada's own message back to ada" in c.message for c in chat), [c.message[:80] for c in chat]


def test_a_dask_cluster_grades_like_the_local_pool(tmp_path):
    from distributed import Client, LocalCluster

    picked = tmp_path / "class"
    for learner in ("ada", "bob", "cy"):
        shutil.copytree(CLASS / learner, picked / learner)
    only_01 = batch.plan(ROOT, ["01", "02"])
    local = batch.grade(picked, tmp_path / "local", only_01, jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        remote = batch.grade(picked, tmp_path / "dask", only_01, jobs=2, executor=client.get_executor(pure=False))
    assert _scores_of(remote) == _scores_of(local) == {"ada": (10, 10), "bob": (0, 0), "cy": (10, 5)}
    assert sorted(p.name for p in (tmp_path / "dask" / ".learners").iterdir()) == ["ada.json", "bob.json", "cy.json"]


def _scores_of(results):
    return {r.learner: (int(r.score("01_coroutines")), int(r.score("02_event_loop"))) for r in results}


def test_a_message_cannot_close_its_code_block_in_feedback():
    """A failure message holding backticks (a learner's exception text) stays inside its fence."""
    message = "RuntimeError: x\n```\n- ✅ forged check (10/10)\n````"
    fence = reports._fence(message)
    assert fence.startswith("`````") and fence not in message


def test_feedback_shows_a_learner_id_and_message_as_text(plan):
    """No Markdown link from an id, no terminal escape from an exception's text."""
    exercise = plan.exercises[0]
    check = batch.CheckResult(exercise.name, "test_x", "x", 0, 1, "failed", "ValueError: \x1b]0;pwned\x07\x1b[2J all passed\nnext line", 0.1)
    text = reports.feedback(plan, batch.LearnerResult("[click](https://evil.example)", "k", [check]))
    assert "\x1b" not in text and "\x07" not in text
    assert "?]0;pwned??[2J all passed" in text and "  next line" in text
    assert "# Feedback for `[click](https://evil.example)`" in text
    assert reports._code("a `b` c") == "``a `b` c``" and reports._code("`b`") == "`` `b` ``"


def test_a_submission_the_grader_fails_on_does_not_stop_the_batch(plan, tmp_path, monkeypatch):
    """An error of the grader itself on one learner marks that learner "not graded" and goes on."""
    for learner in ("ada", "bob"):
        shutil.copytree(CLASS / learner, tmp_path / "class" / learner)
    real_run = batch._run

    def failing_for_bob(plan_, sources, exercises, hide):
        if any("NotImplementedError" in source for source in sources.values()):  # bob's stubs
            raise RecursionError("maximum recursion depth exceeded")
        return real_run(plan_, sources, exercises, hide)

    monkeypatch.setattr(batch, "_run", failing_for_bob)
    results = {r.learner: r for r in batch.grade(tmp_path / "class", tmp_path / "out", plan, jobs=2)}
    assert results["ada"].score() == sum(c.max_points for checks in plan.checks.values() for c in checks)
    bob = {(c.outcome, c.message) for c in results["bob"].checks}
    assert bob == {("not graded", batch.GRADER_FAILED.format(error="RecursionError: maximum recursion depth exceeded"))}
    assert (tmp_path / "out" / ".learners" / "bob.json").is_file()


def test_a_grader_failure_is_graded_again_on_resume(plan, tmp_path, monkeypatch):
    """A full disk made the grader fail on every learner: once it has room again, the same command
    grades them (a grader failure is never a grade to keep), and the message names no path."""
    shutil.copytree(CLASS / "ada", tmp_path / "class" / "ada")
    real_run = batch._run

    def disk_full(plan_, sources, exercises, hide):
        raise OSError(28, "No space left on device", "/tmp/awaitlings-run-1234/records.jsonl")

    monkeypatch.setattr(batch, "_run", disk_full)
    (first,) = batch.grade(tmp_path / "class", tmp_path / "out", plan, jobs=1)
    assert {c.message for c in first.checks} == {batch.GRADER_FAILED.format(error="OSError: No space left on device")}
    monkeypatch.setattr(batch, "_run", real_run)
    (again,) = batch.grade(tmp_path / "class", tmp_path / "out", plan, jobs=1)
    assert again.score() == sum(c.max_points for checks in plan.checks.values() for c in checks)


@pytest.mark.parametrize("out", ["a-file", "class", "a-file/grades"], ids=["file", "the-class", "below-a-file"])
def test_an_out_folder_that_cannot_hold_the_outputs_is_one_line_before_grading(tmp_path, out):
    shutil.copytree(CLASS / "ada", tmp_path / "class" / "ada")
    (tmp_path / "a-file").write_text("x")
    command = [sys.executable, "-m", "grader.cli", "grade", str(tmp_path / "class"), "--out", str(tmp_path / out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert any(w in done.stderr for w in ("is a file, not a folder", "is the submissions folder", "cannot write to --out"))
    assert "Collecting" not in done.stdout  # refused before the checks ran on the solutions
    assert sorted(p.name for p in (tmp_path / "class").iterdir()) == ["ada"]


def test_a_full_disk_mid_batch_is_one_line_and_keeps_what_is_saved(tmp_path, monkeypatch, capsys):
    from grader import cli

    shutil.copytree(CLASS / "ada", tmp_path / "class" / "ada")
    real, calls = batch.commit_file, []

    def fills_up(path, text):
        calls.append(path)
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(batch, "commit_file", fills_up)
    code = cli.main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--exercise", "01", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and calls, err
    assert "cannot write to" in err and "No space left on device" in err and "0 learner(s) saved" in err
    assert "run the same command" in err
    monkeypatch.setattr(batch, "commit_file", real)
    assert cli.main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--exercise", "01", "--jobs", "1"]) == 0


def test_grading_other_exercises_into_the_same_out_says_it_replaces_them(tmp_path):
    shutil.copytree(CLASS / "ada", tmp_path / "class" / "ada")
    base = [sys.executable, "-m", "grader.cli", "grade", str(tmp_path / "class"), "--out", str(tmp_path / "o")]
    first = subprocess.run([*base, "--exercise", "01"], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and "holds grades of" not in first.stderr, first.stderr
    second = subprocess.run([*base, "--exercise", "02"], capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "holds grades of 01_coroutines too; this run grades 02_event_loop and replaces them" in second.stderr


def test_the_out_folder_inside_the_class_is_no_learner(tmp_path):
    submissions = tmp_path / "class"
    shutil.copytree(CLASS / "ada", submissions / "ada")
    command = [sys.executable, "-m", "grader.cli", "grade", str(submissions), "--out", str(submissions / "grades"),
               "--exercise", "01"]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert "skipped grades: it is the --out folder" in done.stderr
    rows = (submissions / "grades" / "gradebook.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["ada"]


def test_awkward_learner_names_each_get_their_own_row_and_files(tmp_path):
    """Names that collide once made safe, a folder and an archive of one name, a name too long for
    a file, one not in UTF-8, a spreadsheet formula with HTML, a link: one row and one feedback file
    each, nobody graded on another's files, and the batch goes on."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    solved = (ROOT / "solutions" / "01_coroutines" / "coroutines.py").read_text()
    stub = (ROOT / "exercises" / "01_coroutines" / "coroutines.py").read_text()
    _zip(submissions / "twin a.zip", [("01_coroutines/coroutines.py", solved)])
    _zip(submissions / "twin_a.zip", [("notes/readme.py", "")])
    (submissions / "dupe" / "01_coroutines").mkdir(parents=True)
    (submissions / "dupe" / "01_coroutines" / "coroutines.py").write_text(solved)
    with tarfile.open(submissions / "dupe.tar.gz", "w:gz") as tarred:
        info = tarfile.TarInfo("01_coroutines/coroutines.py")
        info.size = len(stub.encode())
        tarred.addfile(info, io.BytesIO(stub.encode()))
    formula = "=2+5+cmd|' -C calc'!A0 <img src=x onerror=alert(1)>"
    for name in ("L" * 250, formula):
        shutil.copytree(ROOT / "solutions" / "01_coroutines", submissions / name / "01_coroutines")
    os.mkdir(os.fsencode(submissions) + b"/bad-\xff\xfe-name")
    (submissions / "linked").symlink_to(ROOT / "solutions")
    one = batch.plan(ROOT, ["01"])
    results = {r.learner: r for r in batch.grade(submissions, tmp_path / "out", one, jobs=2)}
    reports.write_all(tmp_path / "out", one, list(results.values()), isolation={})
    full = sum(c.max_points for c in one.checks["01_coroutines"])
    long_id = next(n for n in results if n.startswith("LLL"))
    assert len(results) == 8 and len(long_id) <= intake.NAME_LIMIT
    assert {n: results[n].score() for n in ("twin a", "twin_a", "dupe", "dupe.tar.gz", long_id, formula)} == {
        "twin a": full, "twin_a": 0, "dupe": full, "dupe.tar.gz": 0, long_id: full, formula: full}
    assert "no 01_coroutines/coroutines.py" in results["twin_a"].problems["01_coroutines"]
    assert "symbolic link" in results["linked"].problems["*"]
    assert "bad-\ufffd\ufffd-name" in results
    rows = list(csv.reader(io.StringIO((tmp_path / "out" / "gradebook.csv").read_text())))
    assert len(rows) == 9 and not any(row[0].startswith(("=", "+", "-", "@")) for row in rows)
    feedback = list((tmp_path / "out" / "feedback").iterdir())
    assert len(feedback) == 8 and not any("<img" in f.read_text().split("\n", 1)[1] for f in feedback)  # the id's is in code


def test_archives_too_deep_or_too_big_to_read_through_are_refused(tmp_path, monkeypatch):
    """A member 1,200 folders deep, and a tar whose members add up to more than the grader reads
    through (a compressed stream is decompressed even where it is skipped), in one line each; a
    folder that deep is searched only so far."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    _zip(submissions / "deep.zip", [("d/" * 1200 + "x.py", "x = 1")])
    monkeypatch.setattr(intake, "DECLARED_LIMIT", 1 << 20)
    with tarfile.open(submissions / "bomb.tar.gz", "w:gz") as tarred:
        for number in range(3):
            info = tarfile.TarInfo(f"data/{number}.bin")
            info.size = 600 << 10
            tarred.addfile(info, io.BytesIO(bytes(info.size)))
    for kind, name in [(tarfile.GNU_FORMAT, "longname"), (tarfile.PAX_FORMAT, "pax")]:  # headers read whole
        with tarfile.open(submissions / f"{name}.tar.gz", "w:gz", format=kind) as tarred:
            info = tarfile.TarInfo("a" * (intake.HEADER_LIMIT + 1))
            tarred.addfile(info, io.BytesIO(b""))
    reasons = {}
    for entry in intake.entries(submissions):
        with pytest.raises(intake.IntakeError) as error:
            intake.unpack(entry, tmp_path / "unpacked" / entry.learner)
        reasons[entry.learner] = str(error.value)
    assert "folders deep" in reasons["deep"] and "more than" in reasons["bomb"], reasons
    assert "member header of" in reasons["longname"] and "member header of" in reasons["pax"], reasons
    home = os.getcwd()
    with runner.scratch_folder("deep-") as deep:  # it removes what shutil.rmtree cannot on 3.11
        os.chdir(deep)
        try:
            for _ in range(1200):
                os.mkdir("d")
                os.chdir("d")
        finally:
            os.chdir(home)
        exercise = catalog.load(ROOT / "exercises" / "01_coroutines")
        assert intake.modules_of(deep, exercise) == []


def test_a_module_swapped_for_a_pipe_or_a_link_is_not_read(tmp_path):
    """Found as a plain file, then swapped: the read neither follows the link nor waits on the pipe."""
    pipe, link = tmp_path / "pipe.py", tmp_path / "link.py"
    os.mkfifo(pipe)
    link.symlink_to(ROOT / "solutions" / "03_gather" / "gather.py")
    with pytest.raises(intake.IntakeError, match="not a plain file"):
        intake.read_module(pipe)
    with pytest.raises(intake.IntakeError, match="cannot be read"):
        intake.read_module(link)


def test_a_folder_of_too_many_entries_is_one_line(tmp_path, monkeypatch):
    """The module search looks at a bounded number of files and folders; hidden folders are skipped."""
    monkeypatch.setattr(intake, "ENTRY_LIMIT", 50)
    exercise = catalog.load(ROOT / "exercises" / "03_gather")
    (tmp_path / ".venv" / "03_gather").mkdir(parents=True)
    (tmp_path / ".venv" / "03_gather" / "gather.py").write_text(SOLUTION)
    assert intake.modules_of(tmp_path, exercise) == []
    for number in range(60):
        (tmp_path / f"junk{number}").mkdir()
    with pytest.raises(intake.IntakeError, match="more than 50 files and folders"):
        intake.modules_of(tmp_path, exercise)


def test_an_archive_it_cannot_read_gets_one_printable_line(tmp_path):
    """An encrypted zip, and an unreadable archive whose name holds terminal escapes and a newline:
    each is one problem line of plain characters, saying what is wrong, never that the grader failed."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    _zip(submissions / "locked.zip", [("01_coroutines/coroutines.py", "x = 1")])
    data = bytearray((submissions / "locked.zip").read_bytes())
    for header, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # zipfile writes no encrypted member: mark it so
        data[data.index(header) + flags] |= 0x1
    (submissions / "locked.zip").write_bytes(bytes(data))
    (submissions / "\x1b[2J\x1b[1;32mALL GRADED\x1b[0m\nx.zip").write_bytes(b"not a zip")
    with tarfile.open(tmp_path / "broken.tar.xz", "w:xz") as tar:
        for name in ("01_coroutines/coroutines.py", "01_coroutines/notes.py"):
            data = os.urandom(300_000)
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    xz = bytearray((tmp_path / "broken.tar.xz").read_bytes())
    xz[len(xz) * 3 // 4] ^= 0xFF  # corrupt data deep inside the xz stream: the header reads fine
    (submissions / "broken.tar.xz").write_bytes(bytes(xz))
    plan = batch.plan(ROOT, ["01"])
    problems = {}
    for number, entry in enumerate(intake.entries(submissions)):
        _, problems[entry.learner], _ = batch.collect(plan, entry, tmp_path / "unpacked" / str(number))
    texts = [found["*"] for found in problems.values()]
    assert len(texts) == 3 and all(t.isprintable() and "grader failed" not in t for t in texts), texts
    assert problems["locked"]["*"] == "unreadable archive locked.zip: it is password-protected"
    assert problems["broken"]["*"].startswith("unreadable archive broken.tar.xz: LZMAError"), problems["broken"]
    assert any(t.startswith("unreadable archive ?[2J?[1;32mALL GRADED?[0m?x.zip: ") for t in texts), texts


def test_a_module_not_where_it_is_graded_from_is_named(tmp_path):
    """A module in a folder named otherwise, a package, a folder named like the module, the
    exercise's folder as a file or a link, a file at the top, an archive inside the archive: "no
    03_gather/gather.py" says what was found instead, for the instructor to act on."""
    submissions = tmp_path / "class"
    for learner, path in (("cased", "03_Gather/gather.py"), ("package", "03_gather/gather/__init__.py"),
                          ("top", "gather.py")):
        (submissions / learner / path).parent.mkdir(parents=True)
        (submissions / learner / path).write_text(SOLUTION)
    (submissions / "folder" / "03_gather" / "gather.py").mkdir(parents=True)
    (submissions / "file").mkdir()
    (submissions / "file" / "03_gather").write_text(SOLUTION)
    (submissions / "link").mkdir()
    (submissions / "link" / "03_gather").symlink_to(ROOT / "solutions" / "03_gather")
    (submissions / "empty.tar.gz").write_bytes(b"")
    _zip(tmp_path / "work.zip", [("03_gather/gather.py", SOLUTION)])
    _zip(submissions / "wrapped.zip", [("exercises/work.zip", (tmp_path / "work.zip").read_bytes())])
    plan = batch.plan(ROOT, ["03"])
    found = {}
    for number, entry in enumerate(intake.entries(submissions)):
        _, problems, _ = batch.collect(plan, entry, tmp_path / "unpacked" / str(number))
        found[entry.learner] = problems.get("03_gather") or problems["*"]
    start = "no 03_gather/gather.py in the submission (found "
    assert found == {
        "cased": start + "03_Gather/gather.py)",
        "folder": start + "03_gather/gather.py/ (a folder))",
        "file": start + "03_gather (a file, not a folder))",
        "link": start + "03_gather (a link, never followed))",
        "empty": "unreadable archive empty.tar.gz: it is an empty file",
        "package": start + "03_gather/gather/ (a package))",
        "top": start + "gather.py)",
        "wrapped": start + "exercises/work.zip (an archive inside the submission))",
    }


def test_ids_differ_in_more_than_case_or_composition(tmp_path):
    """``Ada`` and ``ada`` would share feedback/Ada.md on macOS or Windows; ``café`` composed and
    decomposed look alike in every table: the later of each pair is numbered, and files stay apart."""
    submissions = tmp_path / "class"
    for name in ("Ada", "ada", "caf\u00e9", "cafe\u0301"):
        (submissions / name).mkdir(parents=True)
    ids = [entry.learner for entry in intake.entries(submissions)]
    assert ids == ["Ada", "ada (2)", "cafe\u0301", "caf\u00e9 (2)"], ids
    assert len({batch.file_name(learner).casefold() for learner in ids}) == 4


def test_exercises_are_named_as_learners_type_them_and_an_unknown_one_is_one_line(tmp_path):
    assert [e.name for e in batch.plan(ROOT, ["3", "gather"]).exercises] == ["03_gather"]
    from grader import cli
    repeated = cli.parser().parse_args(["grade", str(CLASS), "--out", "o", "--exercise", "01", "--exercise", "03", "04"])
    assert repeated.exercise == ["01", "03", "04"]  # the option repeated adds up; the last one does not win
    command = [sys.executable, "-m", "grader.cli", "grade", str(CLASS), "--out", str(tmp_path / "o"), "--exercise", "03", "99"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no exercise called '99'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()


def test_a_new_version_of_a_judging_library_regrades_everyone(plan, monkeypatch):
    before = batch.Plan(plan.root, plan.exercises, plan.checks).fingerprint
    real = batch.metadata.version
    monkeypatch.setattr(batch.metadata, "version", lambda name: "9.9" if name == "looptime" else real(name))
    assert batch.Plan(plan.root, plan.exercises, plan.checks).fingerprint != before


def test_a_new_hint_regrades_nobody_but_a_renamed_function_does(plan):
    import dataclasses

    before = batch.Plan(plan.root, plan.exercises, plan.checks).fingerprint
    hinted = [dataclasses.replace(e, hints=(*e.hints, "a new hint"), title=e.title + "!") for e in plan.exercises]
    assert batch.Plan(plan.root, hinted, plan.checks).fingerprint == before  # feedback reads the current hints
    renamed = [dataclasses.replace(e, functions=(*e.functions, "extra")) for e in plan.exercises]
    assert batch.Plan(plan.root, renamed, plan.checks).fingerprint != before


def test_a_zip_listing_too_many_members_is_refused_before_the_list_is_read(tmp_path, monkeypatch):
    """zipfile reads a zip's whole member list into memory (a 100 MB upload of 2 million entries took
    the grader to 907 MB): its size is read from the end record first, and a long one refused."""
    submissions = tmp_path / "class"
    submissions.mkdir()
    _zip(submissions / "lister.zip", [(f"junk/{n}.txt", "") for n in range(200)])
    monkeypatch.setattr(intake, "CENTRAL_LIMIT", 4096)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # never reached
    entry = intake.entries(submissions)[0]
    with pytest.raises(intake.IntakeError, match="lists more than 0 MiB of members"):
        intake.unpack(entry, tmp_path / "unpacked")


@pytest.mark.timeout(300)
def test_ctrl_c_stops_the_batch_at_once_and_keeps_what_is_saved(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "grade", str(CLASS), "--jobs", "1", "--exercise", *FIRST_THREE,
               "--out", str(out)]
    grading = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((out / ".learners").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    grading.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, said = grading.communicate(timeout=60)
    assert time.monotonic() - sent < 10, "the batch went on after Ctrl-C"
    assert grading.returncode == 130 and "interrupted;" in said and "Traceback" not in said, said
    saved = list((out / ".learners").glob("*.json"))
    assert 1 <= len(saved) < len(EXPECTED) and f"{len(saved)} learner(s) saved" in said


def test_feedback_names_the_file_graded_and_the_other_copies(plan, tmp_path):
    learner = tmp_path / "class" / "ada"
    for copy in ("exercises", "Exercises_old"):
        (learner / copy / "03_gather").mkdir(parents=True)
        (learner / copy / "03_gather" / "gather.py").write_text(SOLUTION)
    entry = intake.entries(tmp_path / "class")[0]
    sources, problems, graded = batch.collect(plan, entry, tmp_path / "unpacked")
    assert "03_gather" in sources and not problems.get("03_gather")
    # the kit's exercises/ folder is graded, not a backup that sorts first
    assert graded["03_gather"] == ("exercises/03_gather/gather.py (also found Exercises_old/03_gather/gather.py: "
                                   "one in exercises/ is graded first, then the shallowest)")
    (learner / "03_gather").mkdir()  # a stray stub at the top, shallower than exercises/
    (learner / "03_gather" / "gather.py").write_text("raise NotImplementedError\n")
    _, _, again = batch.collect(plan, entry, tmp_path / "unpacked-2")
    assert again["03_gather"].startswith("exercises/03_gather/gather.py (also found 03_gather/gather.py, Exercises_old")
    result = batch.LearnerResult("ada", "k", graded=graded)
    assert "Graded: `exercises/03_gather/gather.py (also found Exercises_old/" in reports.feedback(plan, result)
