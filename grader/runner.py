"""Run pytest on learner code in a child process, bounded in time, memory, processes and files.

Learner code never runs in the caller's process. Results come back as records
written per check, so a child killed mid-run still reports the checks it finished.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader import records
from grader.catalog import KIT_ROOT
from grader.plugin import CHECK_TIMEOUT

WALL_LIMIT = 300.0  # seconds for one pytest child, whatever it runs
MEMORY_LIMIT = 2 << 30  # bytes of address space
FILE_LIMIT = 64 << 20  # bytes in one written file
OUTPUT_LIMIT = 200_000  # characters of child output kept
PLUGINS = ["-p", "grader.plugin", "-p", "pytest_timeout"]


@dataclass
class Outcome:
    """What a pytest child left: its per-check records and how it ended."""

    records: dict[str, records.Record]
    returncode: int | None  # None: killed at the wall-clock limit
    output: str


def _limit_child() -> None:
    """Runs in the child before exec: its own process group and resource limits."""
    os.setsid()
    for limit, value in (
        (resource.RLIMIT_AS, MEMORY_LIMIT),
        (resource.RLIMIT_FSIZE, FILE_LIMIT),
        (resource.RLIMIT_NOFILE, 256),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))


def run_pytest(
    paths: list[str],
    submission: Path,
    *,
    root: Path = KIT_ROOT,
    wall_limit: float = WALL_LIMIT,
    check_timeout: float = CHECK_TIMEOUT,
) -> Outcome:
    """Run ``pytest paths --submission submission`` in ``root`` and collect its records."""
    with tempfile.TemporaryDirectory(prefix="awaitlings-") as scratch:
        record = Path(scratch) / "records.jsonl"
        command = [
            sys.executable, "-m", "pytest", *paths, *PLUGINS,
            "--submission", str(submission), "--awaitlings-record", str(record),
            "-q", "--no-header", "--strict-markers", "--import-mode=importlib", "-p", "no:cacheprovider",
            "--rootdir", str(root),
            "--check-timeout", str(check_timeout), "-o", "timeout_method=signal",
        ]
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        child = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=_limit_child,
        )
        try:
            output, _ = child.communicate(timeout=wall_limit)
            returncode: int | None = child.returncode
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            output, _ = child.communicate()
            returncode = None
        finally:
            try:
                os.killpg(child.pid, signal.SIGKILL)  # whatever the learner's code left behind
            except ProcessLookupError:
                pass
        text = output.decode("utf-8", "replace")[:OUTPUT_LIMIT]
        return Outcome(records.final(record), returncode, text)
