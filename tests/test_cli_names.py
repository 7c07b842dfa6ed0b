"""Exercise names as learners type them, and the suggestion for a miss."""

import pytest

from grader.catalog import Exercise
from grader.names import UnknownExercise, resolve


def exercise(name, module):
    return Exercise(name, f"title of {name}", "concept", module, ("f",), "https://docs", ("a", "b"))


KIT = [
    exercise("01_coroutines", "coros"),
    exercise("02_event_loop", "interleave"),
    exercise("03_gather", "gather"),
    exercise("10_gather_more", "gather"),
    exercise("11_queues", "work_queue"),
]


@pytest.mark.parametrize("typed, meant", [
    ("03", "03_gather"),
    ("3", "03_gather"),
    ("03_gather", "03_gather"),
    ("gather", "03_gather"),  # the topic wins over 10's module of the same name
    ("GATHER", "03_gather"),
    ("exercises/03_gather/", "03_gather"),
    ("./exercises/02_event_loop/interleave.py", "02_event_loop"),
    ("event_loop", "02_event_loop"),
    ("interleave", "02_event_loop"),  # the module's name
    ("work_queue.py", "11_queues"),
    ("10", "10_gather_more"),
    ("gather_more", "10_gather_more"),
])
def test_each_way_of_naming_an_exercise(typed, meant):
    assert resolve(typed, KIT).name == meant


def test_a_near_miss_gets_a_suggestion():
    with pytest.raises(UnknownExercise, match=r"no exercise called 'event_lop'\. Did you mean 02_event_loop \(02\)\?"):
        resolve("event_lop", KIT)


def test_a_word_of_a_topic_names_its_exercises():
    with pytest.raises(UnknownExercise, match=r"no exercise called 'more'\. Did you mean 10_gather_more \(10\)\?"):
        resolve("more", KIT)


def test_a_far_miss_gets_the_range_of_numbers():
    with pytest.raises(UnknownExercise, match=r"numbered 01 to 11; `awaitlings list`"):
        resolve("42", KIT)


def test_a_name_of_two_exercises_asks_for_the_number():
    with pytest.raises(UnknownExercise, match=r"could mean 03_gather or 10_gather_more.*\(03 or 10\)"):
        resolve("gather.py", KIT)


def test_every_command_reads_exercise_names_alike_and_refuses_an_unknown_one(tmp_path):
    """release, ci and gradescope-bundle take `3` and `gather` as grade does; one unknown name
    stops the command (a bundle that silently left out 03 would never grade it)."""
    import subprocess
    import sys

    from grader import catalog, names, release

    assert names.folder_names(catalog.KIT_ROOT, ["3", "event_loop", "01"]) == ["03_gather", "02_event_loop", "01_coroutines"]
    assert [e.name for e in release.releasable(catalog.KIT_ROOT, ["gather"])[0]] == ["03_gather"]
    with pytest.raises(UnknownExercise, match="no exercise called '99'"):
        names.folder_names(catalog.KIT_ROOT, ["01", "99"])
    bundle = [sys.executable, "-m", "grader.cli", "gradescope-bundle", "--out", str(tmp_path / "a.zip"), "--exercise", "01", "99"]
    done = subprocess.run(bundle, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no exercise called '99'" in done.stderr and not (tmp_path / "a.zip").exists()
