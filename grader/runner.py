"""Run pytest on learner code in a child process, bounded in time, memory, processes and files.

Learner code never runs in the caller's process. Results come back as records
written per check, so a child killed mid-run still reports the checks it finished.
With ``isolated=True`` (batch grading) the child also gets: no network but loopback
(a new network namespace, where the OS allows), no conftest, no plugins, no
environment of ours, and records signed with a key passed through an inherited pipe.
"""

from __future__ import annotations

import functools
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from grader import records
from grader.catalog import KIT_ROOT
from grader.plugin import CHECK_TIMEOUT

WALL_LIMIT = 300.0  # seconds for one pytest child, whatever it runs
MEMORY_LIMIT = 2 << 30  # bytes of address space
FILE_LIMIT = 64 << 20  # bytes in one written file
PROCESS_LIMIT = 256  # processes of the child's user (not enforced for root)
OUTPUT_LIMIT = 200_000  # bytes of child output kept; the rest is read and dropped
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
        (resource.RLIMIT_NPROC, PROCESS_LIMIT),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))


@functools.cache
def network_namespace() -> list[str]:
    """A command prefix that runs a program with only loopback up, or [] where the OS refuses."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if not (unshare and ip):
        return []
    prefix = [unshare, "--net", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return prefix if probe.returncode == 0 else []


def isolation_in_force() -> dict[str, object]:
    """What the isolated runs enforce on this machine, for the gradebook."""
    return {
        "process": "one child per learner (per exercise after an early exit), own process group",
        "network": "loopback only (new network namespace)" if network_namespace() else "NOT isolated (unshare refused)",
        "limits": {"wall_s": WALL_LIMIT, "memory_bytes": MEMORY_LIMIT, "file_bytes": FILE_LIMIT,
                   "processes": PROCESS_LIMIT, "output_bytes": OUTPUT_LIMIT},
        "process_limit_enforced": os.geteuid() != 0,
        "plugins": "autoload off, no conftest, python -I",
        "records": "HMAC-signed with a key passed through an inherited pipe",
    }


def _read_capped(stream, kept: bytearray) -> None:
    while chunk := stream.read(65536):
        if len(kept) < OUTPUT_LIMIT:
            kept += chunk[: OUTPUT_LIMIT - len(kept)]


def run_pytest(
    paths: list[str],
    submission: Path,
    *,
    root: Path = KIT_ROOT,
    wall_limit: float = WALL_LIMIT,
    check_timeout: float = CHECK_TIMEOUT,
    isolated: bool = False,
) -> Outcome:
    """Run ``pytest paths --submission submission`` in ``root`` and collect its records."""
    with tempfile.TemporaryDirectory(prefix="awaitlings-") as scratch:
        record = Path(scratch) / "records.jsonl"
        options = [
            *PLUGINS, "--submission", str(submission), "--awaitlings-record", str(record),
            "-q", "--no-header", "--strict-markers", "--import-mode=importlib", "-p", "no:cacheprovider",
            "--rootdir", str(root), "--check-timeout", str(check_timeout), "-o", "timeout_method=signal",
        ]
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        key, passed_fds, prefix, python = None, (), [], [sys.executable]
        if isolated:
            key = secrets.token_bytes(32)
            read_end, write_end = os.pipe()
            os.write(write_end, key)
            os.close(write_end)
            passed_fds = (read_end,)
            options += ["--noconftest", "-c", str(root / "pytest.ini"), "--awaitlings-key-fd", str(read_end)]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LANG": "C.UTF-8",
                   "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
            prefix, python = network_namespace(), [sys.executable, "-I"]
        child = subprocess.Popen(
            [*prefix, *python, "-m", "pytest", *paths, *options], cwd=root, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=_limit_child, pass_fds=passed_fds,
        )
        for fd in passed_fds:
            os.close(fd)
        kept = bytearray()
        reader = threading.Thread(target=_read_capped, args=(child.stdout, kept), daemon=True)
        reader.start()
        try:
            returncode: int | None = child.wait(timeout=wall_limit)
        except subprocess.TimeoutExpired:
            returncode = None
        try:
            os.killpg(child.pid, signal.SIGKILL)  # at the limit, and whatever the learner left behind
        except ProcessLookupError:
            pass
        child.wait()
        reader.join(timeout=10)
        text = bytes(kept).decode("utf-8", "replace")
        return Outcome(records.final(record, key), returncode, text)
