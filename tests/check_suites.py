"""A hidden check suite of the kit's, run by hand against one learner (the kit's Learner or a RemoteLearner)."""

import importlib.util
import shutil
import sys
from pathlib import Path

from grader.failure import CheckFailed

KIT = Path(__file__).resolve().parents[1]


def check_functions(checks: Path):
    """(name as pytest shows it, function, keyword arguments) for every check in the file ``checks``."""
    name = f"remote_{checks.parent.name}"
    spec = importlib.util.spec_from_file_location(name, checks)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    for name, function in vars(module).items():
        if not name.startswith("test_") or not callable(function):
            continue
        marks = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            yield name, function, {}
            continue
        (argnames, values), ids = marks[0].args, marks[0].kwargs.get("ids", [])
        argnames = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
        for index, value in enumerate(values):
            params = dict(zip(argnames, value)) if len(argnames) > 1 else {argnames[0]: value}
            yield f"{name}[{ids[index] if ids else value}]", function, params


def outcomes(learner, checks: Path) -> dict[str, tuple[str, str]]:
    """Each check's ("passed", "") or ("failed", its message) for ``learner``."""
    found = {}
    for name, function, params in check_functions(checks):
        try:
            function(learner, **params)
        except CheckFailed as failure:
            found[name] = ("failed", str(failure))
        else:
            found[name] = ("passed", "")
    return found


def submissions(exercise) -> list[Path]:
    """The reference solution of ``exercise``, then its known submissions."""
    return [KIT / "solutions" / exercise.name / exercise.filename,
            *sorted((KIT / "tests" / "submissions" / exercise.name).glob("*.py"))]


def both_ways(path: Path, tmp_path: Path, exercise, checks: Path, server) -> tuple[dict, dict]:
    """The outcomes of ``checks`` on the submission at ``path``, in one process and judged apart."""
    from grader.learner import Learner
    from grader.remote.learner import RemoteLearner

    folder = tmp_path / exercise.name
    folder.mkdir()
    shutil.copy(path, folder / exercise.filename)
    return outcomes(Learner(exercise, folder, {}), checks), outcomes(RemoteLearner(exercise, folder, server), checks)
