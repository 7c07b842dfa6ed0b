"""A control group per learner run: one cap on the memory and the tasks of its whole process tree.

Resource limits hold per process: six children of 2 GiB each hold 12 GiB. A cgroup (v1
``memory`` and ``pids`` hierarchies) counts them together, and the kernel's OOM killer stops
the run inside it, not the grader or another learner. Where the ``cpu`` hierarchy is there too,
each run also gets its own CPU group: fifty spinning processes of one learner share one run's
CPU time instead of taking it from the others. Where the machine offers no writable
v1 hierarchies (cgroup v2 only, no root), runs go without one and ``problem()`` says why.
"""

from __future__ import annotations

import functools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

HIERARCHIES = Path("/sys/fs/cgroup")
PARENT = "awaitlings"  # our groups live in <hierarchy>/awaitlings/run-<grader's pid>-<random>


@dataclass(frozen=True)
class Group:
    """One run's groups: ``memory``, ``pids`` (and ``cpu``) folders of the same name."""

    memory: Path
    pids: Path
    cpu: Path | None = None

    @property
    def folders(self) -> list[Path]:
        return [self.memory, self.pids, *([self.cpu] if self.cpu else [])]

    def join(self) -> None:
        """Put the calling process in the group (its children follow): call it in the child."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for going over the memory cap."""
        return _counter(self.memory / "memory.oom_control", "oom_kill") > 0

    def remove(self) -> None:
        """Kill whatever is left in the group, then delete it."""
        for folder in reversed(self.folders):
            _clear(folder)


def _clear(folder: Path) -> None:
    """Kill every process in one group folder, then delete it."""
    for _ in range(100):
        for pid in _pids(folder):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # busy: a killed process not yet reaped by the kernel
            time.sleep(0.02)


def create(memory: int, tasks: int) -> Group | None:
    """A new group capping memory (bytes) and tasks (processes and threads); None where refused."""
    if problem() is not None:
        return None
    _sweep()
    name = f"run-{os.getpid()}-{secrets.token_hex(6)}"
    cpu = HIERARCHIES / "cpu" / PARENT / name if usable("cpu") else None
    group = Group(HIERARCHIES / "memory" / PARENT / name, HIERARCHIES / "pids" / PARENT / name, cpu)
    try:
        for folder in group.folders:
            folder.mkdir(parents=True)
        (group.memory / "memory.limit_in_bytes").write_text(str(memory))
        (group.pids / "pids.max").write_text(str(tasks))
    except OSError:
        group.remove()
        return None
    return group


@functools.cache
def problem() -> str | None:
    """Why runs cannot get a control group here, or None if they can."""
    for hierarchy in ("memory", "pids"):
        folder = HIERARCHIES / hierarchy
        if not (folder / "cgroup.procs").is_file():
            return f"no cgroup v1 {hierarchy} hierarchy at {folder}"
        if not os.access(folder, os.W_OK):
            return f"{folder} is not writable (the grader does not run as root?)"
    return None


def usable(hierarchy: str) -> bool:
    """Whether the v1 ``hierarchy`` is there and ours to write."""
    folder = HIERARCHIES / hierarchy
    return (folder / "cgroup.procs").is_file() and os.access(folder, os.W_OK)


def _sweep() -> None:
    """Clear the groups of graders that died without removing them (a kill -9): their learner
    runs outlive them, unwatched (one that sleeps holding the GIL would wait forever)."""
    for hierarchy in ("memory", "pids", "cpu"):
        for folder in (HIERARCHIES / hierarchy / PARENT).glob("run-*-*"):
            owner = folder.name.split("-")[1]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                _clear(folder)


def _pids(folder: Path) -> list[int]:
    try:
        return [int(line) for line in (folder / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _counter(path: Path, name: str) -> int:
    """A ``name value`` line of a cgroup statistics file."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0
