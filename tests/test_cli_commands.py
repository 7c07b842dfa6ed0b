"""`awaitlings list`, `check`, `hint` and `reset` on a temporary copy of the kit."""

import json
import shutil
import subprocess
import sys

import pytest

from cli_kit import SECOND, SECOND_TITLE, SOURCE, cli, make_kit, module, solve
from grader import catalog, cli as awaitlings, progress

SEQUENTIAL = '''
async def fetch_all(fetch, items):
    return [await fetch(item) for item in items]


async def fetch_all_settled(fetch, items):
    raise NotImplementedError
'''


@pytest.fixture
def kit(tmp_path, monkeypatch):
    root = make_kit(tmp_path)
    monkeypatch.chdir(root)  # learners run the command from the kit's folder
    for variable in ("NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(variable, raising=False)
    return root


def run(capsys, *args):
    code = awaitlings.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(out):
    """The table's rows by exercise number: the words of each line."""
    found = {}
    for line in out.splitlines():
        words = line.replace("▶", " ").split()
        if words and words[0].isdigit() and len(words[0]) == 2:
            found[words[0]] = line
    return found


def test_list_shows_each_exercise_its_status_and_the_progress(kit, capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    table = rows(out)
    assert set(table) == {"03", "04"}
    assert "Run awaitables at the same time" in table["03"] and "asyncio.gather" in table["03"]
    assert SECOND_TITLE in table["04"]
    assert "not started" in table["03"] and table["03"].rstrip().endswith("0/3")
    assert "0/2 exercises done, 0/6 visible tests pass" in out
    assert "Next: 03_gather" in out

    solve(kit)
    module(kit, SECOND).write_text(SEQUENTIAL)
    code, out, _ = run(capsys, "list")
    table = rows(out)
    assert "done" in table["03"] and table["03"].rstrip().endswith("3/3")
    assert "failing" in table["04"] and table["04"].rstrip().endswith("1/3")
    assert table["04"].lstrip().startswith("▶")  # the one to work on
    assert "1/2 exercises done, 4/6 visible tests pass" in out
    assert f"Next: {SECOND}" in out


def test_awaitlings_alone_shows_the_list_and_what_to_run_next(kit, capsys):
    code, out, err = run(capsys)
    assert code == 0 and not err
    assert set(rows(out)) == {"03", "04"} and "Next: 03_gather" in out


def test_verify_in_a_kit_without_solutions_says_it_is_for_instructors(kit, capsys):
    """A learner's kit holds no solutions/ or checks/: verify says so instead of failing all."""
    shutil.rmtree(kit / "solutions")
    code, out, err = run(capsys, "--root", str(kit), "verify")
    assert code == 2 and not out
    assert f"awaitlings verify is for instructors: {kit} has no solutions/ or checks/" in err


def test_list_runs_nothing_when_nothing_changed(kit, capsys, monkeypatch):
    runs = []
    real = progress.run_pytest
    monkeypatch.setattr(progress, "run_pytest", lambda paths, *a, **k: runs.append(paths) or real(paths, *a, **k))
    run(capsys, "list")
    assert runs == [[f"exercises/{SOURCE}", f"exercises/{SECOND}"]]  # one child for all
    run(capsys, "list")
    assert len(runs) == 1, "unchanged files: the cached results answer"
    module(kit).write_text(SEQUENTIAL)
    _, out, _ = run(capsys, "list")
    assert runs[1:] == [[f"exercises/{SOURCE}"]], "only the changed exercise runs again"
    assert "failing" in rows(out)["03"]


def test_check_names_each_failure_with_its_teaching_message_and_what_to_do(kit, capsys):
    module(kit).write_text(SEQUENTIAL)
    code, out, _ = run(capsys, "check", "gather")
    assert code == 1
    assert "✓ fetch_all returns one result per item" in out
    assert "✗ 3 fetches of 1 s take 1 s of loop time" in out
    assert "one after another" in out  # the check's own message, not a traceback
    assert "fetch_all_settled is not implemented yet" in out
    assert "1/3 visible tests pass" in out
    assert "Next: edit exercises/03_gather/gather.py" in out
    assert "awaitlings hint 03" in out
    assert "Traceback" not in out


def test_check_shows_what_a_failing_test_printed(kit, capsys):
    """print() is how learners debug: what their code printed in a failed test is shown under it,
    its escape codes made harmless; a passing test's prints are not."""
    module(kit).write_text(SEQUENTIAL.replace(
        "    return [await fetch(item) for item in items]",
        "    print('fetching', items)\n    print('\\x1b[2Jgone')\n    return [await fetch(item) for item in items]"))
    code, out, _ = run(capsys, "check", "03")
    assert code == 1
    together = out.index("✗ 3 fetches of 1 s take 1 s")
    assert "Your code printed:" in out[together:]
    assert "fetching ['a', 'b', 'c']" in out[together:]
    assert "?[2Jgone" in out and "\x1b" not in out
    assert out.count("Your code printed:") == 1  # the passing tests printed too; not shown


def test_a_command_run_outside_any_kit_says_which_kit_it_uses(tmp_path, capsys, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "hint", "01", "--all")
    assert code == 0 and "Hint 1 of" in out
    assert f"no kit in {elsewhere} or above it; using the one awaitlings was installed from, {catalog.KIT_ROOT}" in err


def test_a_command_run_inside_a_kit_says_nothing_about_kits(kit, capsys, monkeypatch):
    monkeypatch.chdir(kit / "exercises")
    _, _, err = run(capsys, "hint", "03", "--all")
    assert err == ""


def test_check_of_a_solved_exercise_points_to_the_next(kit, capsys):
    solve(kit)
    code, out, _ = run(capsys, "check", "03_gather")
    assert code == 0
    assert "3/3 visible tests pass" in out
    assert "03_gather passes all 3 visible tests" in out
    assert "Your grade comes from more checks than these" in out  # the visible tests are not the grade
    assert f"Next: {SECOND}" in out and "awaitlings check 04" in out


def test_check_without_a_name_takes_the_first_unfinished(kit, capsys):
    code, out, _ = run(capsys, "check")
    assert code == 1 and out.startswith("03 ·")
    solve(kit)
    code, out, _ = run(capsys, "check")
    assert code == 1 and out.startswith("04 ·") and SECOND_TITLE in out
    solve(kit, SECOND)
    code, out, _ = run(capsys, "check")
    assert code == 0 and "Every exercise passes its visible tests" in out


def test_hint_shows_one_more_each_call(kit, capsys):
    hints = catalog.load(kit / "exercises" / SOURCE).hints
    assert len(hints) >= 2
    for shown in range(1, len(hints) + 2):
        code, out, _ = run(capsys, "hint", "03")
        assert code == 0
        expected = min(shown, len(hints))
        assert f"Hint {expected} of {len(hints)}" in out
        assert f"Hint {expected + 1} of" not in out
        assert hints[expected - 1] in out  # piped: lines are not wrapped
    assert "That was the last hint" in out
    code, out, _ = run(capsys, "hint", SECOND, "--all")  # the counter is per exercise
    assert all(f"Hint {n} of {len(hints)} for {SECOND}" in out for n in range(1, len(hints) + 1))


def test_hint_without_a_name_is_for_the_first_unfinished(kit, capsys):
    code, out, _ = run(capsys, "hint")
    assert code == 0 and "Hint 1 of" in out and f"for {SOURCE}:" in out
    solve(kit)
    code, out, _ = run(capsys, "hint")
    assert code == 0 and f"for {SECOND}:" in out
    solve(kit, SECOND)
    code, out, _ = run(capsys, "hint")
    assert code == 0 and "no hint needed" in out


@pytest.mark.parametrize("typed", ["03", "3", "03_gather", "gather", "exercises/03_gather/", "03_gather/gather.py"])
def test_names_as_learners_type_them(kit, capsys, typed):
    code, out, _ = run(capsys, "hint", typed)
    assert code == 0 and f"Hint 1 of {len(catalog.load(kit / 'exercises' / SOURCE).hints)} for {SOURCE}" in out


def test_unknown_names_get_a_suggestion(kit, capsys):
    code, out, err = run(capsys, "hint", "gahter")
    assert code == 2 and out == ""
    assert "no exercise called 'gahter'" in err and "Did you mean 03_gather" in err
    code, _, err = run(capsys, "check", "99")
    assert code == 2 and "numbered 03 to 04" in err and "awaitlings list" in err


def test_reset_restores_the_stub_and_keeps_the_learners_file(kit, capsys):
    stub = module(kit).read_bytes()
    run(capsys, "list")  # the CLI has seen the untouched stub: not a git checkout, it keeps a copy
    solve(kit)
    mine = module(kit).read_bytes()
    code, out, _ = run(capsys, "reset", "03")
    assert code == 0
    assert module(kit).read_bytes() == stub
    backups = list(module(kit).parent.glob("gather.py.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == mine
    assert f"Your version is saved as exercises/{SOURCE}/{backups[0].name}" in out
    assert "Restored exercises/03_gather/gather.py to the untouched stub" in out
    _, out, _ = run(capsys, "list")
    assert "not started" in rows(out)["03"]  # the cache follows the file back

    code, out, _ = run(capsys, "reset", "03")
    assert code == 0 and "already is the untouched stub" in out
    assert len(list(module(kit).parent.glob("gather.py.bak-*"))) == 1


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_reset_takes_the_stub_from_git_even_after_the_learner_committed(kit, capsys):
    stub = module(kit).read_bytes()
    git = ["git", "-c", "user.name=learner", "-c", "user.email=l@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=kit, check=True)
    subprocess.run([*git, "add", "."], cwd=kit, check=True)
    subprocess.run([*git, "commit", "-qm", "the kit"], cwd=kit, check=True)
    solve(kit)
    subprocess.run([*git, "commit", "-qam", "my solution"], cwd=kit, check=True)
    code, out, _ = run(capsys, "reset", "gather")  # no copy in .awaitlings: the CLI never ran before
    assert code == 0
    assert module(kit).read_bytes() == stub
    assert "from git commit" in out


def test_reset_without_any_untouched_copy_says_so_and_changes_nothing(kit, capsys):
    solve(kit)  # edited before the CLI ever saw it, and no git
    mine = module(kit).read_bytes()
    code, out, err = run(capsys, "reset", "03")
    assert code == 1
    assert "no untouched copy of exercises/03_gather/gather.py" in err
    assert module(kit).read_bytes() == mine
    assert not list(module(kit).parent.glob("gather.py.bak-*"))


@pytest.mark.parametrize("content", [
    "{not json",
    "",
    "[1, 2]",
    json.dumps({"version": 0, "hints": {"03_gather": 3}}),
    json.dumps({"version": 1, "results": [], "hints": {"03_gather": "three", "04_regather": -2}}),
    json.dumps({"version": 1, "results": {"03_gather": {"key": 1, "tests": "no"}}, "hints": []}),
])
def test_a_corrupt_or_old_state_file_is_rebuilt(kit, capsys, content):
    state = kit / ".awaitlings" / "state.json"
    state.parent.mkdir()
    state.write_text(content)
    code, out, _ = run(capsys, "list")
    assert code == 0 and "0/2 exercises done" in out
    code, out, _ = run(capsys, "hint", "04")
    assert code == 0 and "Hint 1 of" in out
    data = json.loads(state.read_text())
    assert data["version"] == 1 and data["hints"][SECOND] == 1
    assert set(data["results"]) == {SOURCE, SECOND}


def test_the_kit_is_found_from_a_folder_inside_it(kit, capsys, monkeypatch):
    monkeypatch.chdir(kit / "exercises" / SOURCE)
    code, out, _ = run(capsys, "list")
    assert code == 0 and set(rows(out)) == {"03", "04"}
    assert (kit / ".awaitlings" / "state.json").is_file()


def test_piped_output_is_plain_text(kit):
    done = cli(kit, "list")
    assert done.returncode == 0
    assert "\x1b[" not in done.stdout
    assert "0/2 exercises done" in done.stdout
    done = cli(kit, "check", "03")
    assert done.returncode == 1 and "\x1b[" not in done.stdout and "✗" in done.stdout


@pytest.mark.timeout(120)
def test_pytest_shows_what_an_endless_loop_printed_but_not_the_graders_stacks(tmp_path):
    """pytest-timeout's stack dump (the grader's own threads and files) is cut from the captured
    output of a check stopped at its time limit; what the learner's code printed stays."""
    kit = make_kit(tmp_path)
    source = (kit / "solutions" / SOURCE / "gather.py").read_text()
    endless = '    print("DEBUG items =", items)\n    i = 0\n    while i < len(items):\n        pass\n'
    module(kit).write_text(source.replace("async def fetch_all(fetch, items):\n", "async def fetch_all(fetch, items):\n" + endless, 1))
    done = subprocess.run([sys.executable, "-m", "pytest", f"exercises/{SOURCE}", "-x", "-p", "no:cacheprovider"],
                          cwd=kit, capture_output=True, text=True, timeout=100)
    assert "held the event loop" in done.stdout and "DEBUG items = ['slow', 'quick']" in done.stdout, done.stdout[-2000:]
    assert "Timeout +++" not in done.stdout and "plugin.py" not in done.stdout, done.stdout[-2000:]
