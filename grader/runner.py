"""Run pytest on learner code in a child process, bounded in time, memory, processes and files.

Learner code never runs in the caller's process. Results come back as records
written per check, so a child killed mid-run still reports the checks it finished.
With ``isolated=True`` (batch grading) the child also gets: no conftest, no plugins, no
environment of ours, records signed with a key passed through an inherited pipe and, where
the OS allows (Linux, run as root), a jail: new network (loopback only), mount and PID
namespaces, the kit's solutions, checks, tests and history and the caller's other folders
hidden, and a user id of its own, so process limits hold, nothing of ours is writable and
every process it leaves dies with it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader import cgroups, records
from grader.catalog import KIT_ROOT
from grader.plugin import CHECK_TIMEOUT

WALL_LIMIT = 300.0  # seconds for one pytest child, whatever it runs
MEMORY_LIMIT = 2 << 30  # bytes of address space
FILE_LIMIT = 64 << 20  # bytes in one written file
PROCESS_LIMIT = 64  # processes and threads of the child's user (not enforced for root)
TASK_LIMIT = PROCESS_LIMIT + 8  # processes and threads of the whole run, in its control group (+ the jail's)
OUTPUT_LIMIT = 200_000  # bytes of child output kept; the rest is read and dropped
PLUGINS = ["-p", "grader.plugin", "-p", "pytest_timeout"]
PRIVATE_SCRATCH = ("/dev/shm", "/var/tmp")  # a fresh empty tmpfs each in the jail
TMP = Path("/tmp").resolve()  # the jail's own, empty but for the run's sandbox and scratch
PRIVATE_TMP_SIZE = "256m"
OWN_SIZE = "256m"  # the jail's tmpfs copy of a run's root folder, and its pytest basetemp
KIT_SECRETS = ("solutions", "checks", "tests", "examples", ".git", ".ci")  # hidden from a jailed child


@dataclass
class Outcome:
    """What a pytest child left: its per-check records and how it ended."""

    records: dict[str, records.Record]
    returncode: int | None  # None: killed at the wall-clock limit
    output: str
    stopped: str | None = None  # what stopped the run, when a limit did: "…used more than 2 GiB…"


def _limit_child(group: cgroups.Group | None = None) -> None:
    """Runs in the child before exec: its own process group, control group and resource limits."""
    os.setsid()
    if group is not None:
        group.join()
    for limit, value in (
        (resource.RLIMIT_AS, MEMORY_LIMIT),
        (resource.RLIMIT_FSIZE, FILE_LIMIT),
        (resource.RLIMIT_NOFILE, 256),
        (resource.RLIMIT_NPROC, PROCESS_LIMIT),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, int(WALL_LIMIT)),  # per process: a spinner that escaped everything else
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


def _outermost(folders: list[Path]) -> list[Path]:
    """The folders not inside another of them (a mount inside a hidden folder would fail)."""
    resolved = sorted({f.resolve() for f in folders}, key=lambda f: len(f.parts))
    kept: list[Path] = []
    for folder in resolved:
        if not any(folder.is_relative_to(outer) for outer in kept):
            kept.append(folder)
    return kept


def _reach_script(needed: list[Path], uid: int, recreated: frozenset[Path] = frozenset()) -> str:
    """Shell steps that let user ``uid`` reach ``needed`` folders inside the new mount namespace.

    A folder on the way that others cannot search (``/root`` holding pyenv, tox's ``.tox``) is
    covered by an empty tmpfs holding only the ways on, bound back from the real folder; the
    rest of it stays hidden and nothing outside the namespace changes. ``recreated``: folders the
    jail made afresh (the way down its private /tmp), which anyone may pass."""
    blocked: dict[Path, set[str]] = {}
    for path in {p.resolve() for p in needed}:
        for parent in path.parents:
            if parent not in recreated and not _searchable(parent, uid):
                blocked.setdefault(parent, set()).add(path.relative_to(parent).parts[0])
    steps = []
    for folder in sorted(blocked, key=lambda f: len(f.parts)):
        there = shlex.quote(str(folder))
        steps.append(f'mount --bind {there} "$stage" && mount -t tmpfs -o size=64k,mode=711 awaitlings-way {there}')
        for name in sorted(blocked[folder]):
            way = shlex.quote(str(folder / name))
            steps.append(f'mkdir {way} && mount --bind "$stage"/{shlex.quote(name)} {way}')
        steps.append('umount "$stage"')
    if not steps:
        return "true"
    return " && ".join(['stage=$(mktemp -d)', *steps, 'rmdir "$stage"'])


def _searchable(folder: Path, uid: int) -> bool:
    """Whether user ``uid`` (no groups but its own) may pass through ``folder``."""
    status = folder.stat()
    if status.st_uid == uid:
        return bool(status.st_mode & 0o100)
    return bool(status.st_mode & (0o010 if status.st_gid == uid else 0o001))


def _python_folders() -> list[Path]:
    """What a jailed child needs to run the grader: the interpreter, its environment and the kit.
    Not every folder on our sys.path: ``python -I`` in the jail ignores PYTHONPATH and the script's
    folder (which could hold another class), and finds site-packages under its own prefix."""
    return [Path(sys.executable).resolve().parent, Path(sys.prefix), Path(sys.base_prefix), KIT_ROOT]


@functools.cache
def _world_writable(depth: int = 4) -> tuple[Path, ...]:
    """Folders of the machine anyone may write to (``/run/lock``, say), outside the ones the jail
    replaces anyway: covered in the jail, so learner code can neither fill the disk nor leave
    files there for another run."""
    found, skip = [], {Path("/proc"), Path("/sys"), Path("/dev"), TMP, *(Path(d) for d in PRIVATE_SCRATCH)}
    root_device = os.stat("/").st_dev
    for top, folders, _ in os.walk("/"):
        here = Path(top)
        kept = []
        for name in folders:
            path = here / name
            try:
                status = path.lstat()
            except OSError:
                continue
            if path in skip or status.st_dev != root_device or not stat.S_ISDIR(status.st_mode):
                continue
            if status.st_mode & stat.S_IWOTH:
                found.append(path)
            elif len(path.parts) <= depth:
                kept.append(name)
        folders[:] = kept
    return tuple(found)


def _private_tmp_script(kept: list[Path]) -> str:
    """Shell steps that give the jail an empty /tmp of its own, with the ``kept`` folders inside
    the machine's /tmp (the run's sandbox and scratch) bound back at the same paths. They wait in
    the jail's private /var/tmp while /tmp is covered; nothing is left in the machine's /tmp."""
    steps = ["stage=$(mktemp -d -p /var/tmp)"]
    for number, folder in enumerate(kept):
        steps.append(f'mkdir "$stage"/{number} && mount --bind {shlex.quote(str(folder))} "$stage"/{number}')
    steps.append(f"mount -t tmpfs -o size={PRIVATE_TMP_SIZE},mode=1777 awaitlings-tmp {TMP}")
    for number, folder in enumerate(kept):
        there = shlex.quote(str(folder))
        steps.append(f'mkdir -p {there} && mount --bind "$stage"/{number} {there} && umount "$stage"/{number}')
    return " && ".join(steps)


def _own_copy_script(folder: Path, uid: int) -> str:
    """Shell steps that put a copy of ``folder`` on a tmpfs of user ``uid`` at the same path: what
    learner code writes there counts against the run's memory, and the machine's disk is untouched."""
    there = shlex.quote(str(folder))
    return (f'copy=$(mktemp -d -p /var/tmp) && mount -t tmpfs -o size={OWN_SIZE},mode=700,uid={uid},gid={uid} '
            f'awaitlings-own "$copy" && cp -a {there}/. "$copy"/ && mount --bind "$copy" {there} && umount "$copy" '
            '&& rmdir "$copy"')


def _jail_script(uid: int, hide: list[Path], reach: list[Path], own: tuple[Path, ...] = (),
                 fresh: tuple[Path, ...] = ()) -> str:
    python = [p.resolve() for p in _python_folders()]
    needed = [*python, *(p.resolve() for p in reach)]
    kept = [p for p in _outermost(needed) if p.is_relative_to(TMP)]  # the rest of /tmp is gone in the jail
    hide = [*hide, *(d for d in _world_writable() if not any(p.is_relative_to(d) for p in needed))]
    hide = [d for d in _outermost(hide) if not any(p.is_relative_to(d) for p in python)]  # e.g. a venv in .ci/
    hide = [d for d in hide if not d.is_relative_to(TMP) or any(d.is_relative_to(k) for k in kept)]
    scratch = "".join(f" && mount -t tmpfs -o size=64m,mode=1777 awaitlings-scratch {d}"
                      for d in PRIVATE_SCRATCH if Path(d).is_dir())
    covers = "".join(f" && mount -t tmpfs -o size=4k,mode=000 awaitlings-hidden {shlex.quote(str(d))}" for d in hide)
    drop = f"exec setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all"
    recreated = frozenset(a for k in kept for a in k.parents if a.is_relative_to(TMP))  # made by mkdir -p
    reach = _reach_script(needed, uid, recreated)
    writable = "".join(f" && {_own_copy_script(f, uid)}" for f in own)
    writable += "".join(f" && mount -t tmpfs -o size={OWN_SIZE},mode=1777 awaitlings-fresh {shlex.quote(str(f))}"
                        for f in fresh)
    return f'ip link set lo up{scratch} && {_private_tmp_script(kept)}{writable} && {reach}{covers} && {drop} "$@"'


def jail(uid: int, hide: list[Path], reach: list[Path], own: tuple[Path, ...] = (),
         fresh: tuple[Path, ...] = ()) -> list[str]:
    """A command prefix running a program in new network (lo only), mount, PID, IPC and UTS
    namespaces, as user ``uid``, able to reach the Python environment and the ``reach`` folders, with
    ``hide`` and the machine's world-writable folders covered by empty unreadable mounts, each ``own``
    folder replaced by a tmpfs copy owned by ``uid`` and each ``fresh`` one by an empty tmpfs;
    [] where the OS refuses."""
    return _jail_command(uid, hide, reach, own, fresh) if jail_available() else []


def _jail_command(uid: int, hide: list[Path], reach: list[Path], own: tuple[Path, ...] = (),
                  fresh: tuple[Path, ...] = ()) -> list[str]:
    namespaces = ["--net", "--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc"]
    return ["unshare", *namespaces, "sh", "-c", _jail_script(uid, hide, reach, own, fresh), "sh"]


_PYTHON_PROBE = "import sys, grader.plugin, pytest; print(sys.prefix, sys.base_prefix)"


@functools.cache
def jail_problem() -> str | None:
    """Why this machine cannot jail a child that still runs the grader, or None if it can."""
    if os.geteuid() != 0:
        return "the grader does not run as root"
    missing = [tool for tool in ("unshare", "ip", "setpriv", "mount", "mktemp") if not shutil.which(tool)]
    if missing:
        return f"missing tools: {', '.join(missing)}"
    if not Path("/var/tmp").is_dir():
        return "no /var/tmp (the jail's private /tmp is staged there)"
    with tempfile.TemporaryDirectory() as empty:
        command = [*_jail_command(_jail_uid(), [Path(empty)], []), sys.executable, "-I", "-c", _PYTHON_PROBE]
        try:
            probe = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as error:
            return f"a jailed probe could not run: {error}"
    expected = f"{sys.prefix} {sys.base_prefix}"
    if probe.returncode != 0 or probe.stdout.strip() != expected:
        said = (probe.stdout + probe.stderr).strip()[-500:]
        return f"a jailed probe failed (exit {probe.returncode}; expected prefixes {expected!r}): {said}"
    return None



def jail_available() -> bool:
    """Whether this machine lets us jail a child, and the jailed user can still run the grader."""
    return jail_problem() is None


def _jail_uid() -> int:
    """A user id no account uses, different for each run (two runs never share process limits)."""
    return 200_000 + secrets.randbelow(1_000_000_000)


def secrets_of(root: Path) -> list[Path]:
    """The folders of a kit a learner's code must never read."""
    return [root / name for name in KIT_SECRETS if (root / name).is_dir()]


def _kill_user(uid: int) -> None:
    """SIGKILL every process of ``uid`` (a jail's user), sweeping until none is left."""
    for _ in range(50):
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _give(folder: Path, uid: int) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, uid, follow_symlinks=False)


def isolation_in_force() -> dict[str, object]:
    """What the isolated runs enforce on this machine, for the gradebook."""
    jailed = jail_available()
    return {
        "process": "one child per learner (per exercise after an early exit), own process group",
        "network": "loopback only (new network namespace)" if jailed or network_namespace() else "NOT isolated (unshare refused)",
        "filesystem": "kit's solutions/checks/tests/history and the submissions and output folders hidden; "
        "writable: a tmpfs copy of its own folder, a private /tmp, /dev/shm and /var/tmp, and its records file; "
        "the machine's world-writable folders covered"
        if jailed else "NOT isolated (same user as the grader)",
        "user": "a user id of its own per run; every process it leaves is killed (PID namespace)" if jailed
        else "the grader's own user",
        "limits": {"wall_s": WALL_LIMIT, "memory_bytes": MEMORY_LIMIT, "file_bytes": FILE_LIMIT,
                   "processes": PROCESS_LIMIT, "output_bytes": OUTPUT_LIMIT},
        "process_limit_enforced": jailed or os.geteuid() != 0,
        "control_group": f"one per run: {MEMORY_LIMIT} bytes of memory and {TASK_LIMIT} tasks for all its processes "
        f"together{', and a CPU share of its own' if cgroups.usable('cpu') else ''}" if cgroups.problem() is None
        else f"NOT in force ({cgroups.problem()})",
        "plugins": "autoload off, no conftest, python -I",
        "records": "HMAC-signed with a key passed through an inherited pipe",
    }


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A fresh temporary folder, removed afterwards whatever learner code left in it (a tree
    1,200 folders deep made shutil.rmtree raise RecursionError on 3.11 and stopped the batch)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        try:
            shutil.rmtree(folder)
        except (RecursionError, OSError):
            subprocess.run(["rm", "-rf", "--", str(folder)], check=False, capture_output=True)


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
    hide: tuple[Path, ...] = (),
    bytecode: bool = False,
) -> Outcome:
    """Run ``pytest paths --submission submission`` in ``root`` and collect its records.

    ``hide``: folders a jailed child must not see, besides the kit's own secrets.
    ``isolated`` hands ``root`` to the jailed user: it must be a throwaway copy (``batch._sandbox``).
    ``bytecode``: let pytest cache its rewritten test modules in ``__pycache__`` (off: learner runs
    leave no files behind).
    """
    if isolated and root.resolve() == KIT_ROOT:
        raise ValueError("an isolated run gives its root folder to the jailed user: pass a throwaway copy, not the kit")
    with scratch_folder("awaitlings-") as scratch:
        record = scratch / "records.jsonl"
        options = [
            *PLUGINS, "--submission", str(submission), "--awaitlings-record", str(record),
            "-q", "--no-header", "--strict-markers", "--import-mode=importlib", "-p", "no:cacheprovider",
            "--rootdir", str(root), "--check-timeout", str(check_timeout), "-o", "timeout_method=signal",
        ]
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        if bytecode:
            del env["PYTHONDONTWRITEBYTECODE"]
        key, passed_fds, prefix, python, jailed, group = None, (), [], [sys.executable], None, None
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
            group = cgroups.create(MEMORY_LIMIT, TASK_LIMIT)
            if jail_available():
                uid = jailed = _jail_uid()
                # Nothing of the machine's disk is writable in the jail but the records file (capped by
                # RLIMIT_FSIZE): the root is a tmpfs copy, pytest's basetemp a fresh tmpfs.
                (scratch / "tmp").mkdir()
                scratch.chmod(0o711)
                record.touch(mode=0o600)
                os.chown(record, uid, uid)
                _give(root, uid)
                options += ["--basetemp", str(scratch / "tmp" / "pytest")]
                prefix = jail(uid, [*secrets_of(KIT_ROOT), *(d for d in hide if d.is_dir())],
                              [root, scratch, submission], own=(root,), fresh=(scratch / "tmp",))
        try:
            returncode, text = _watch(
                [*prefix, *python, "-m", "pytest", *paths, *options], root, env, passed_fds, group, jailed, wall_limit
            )
            stopped = _stopped_by(returncode, group, wall_limit)
        finally:
            if group is not None:
                group.remove()
        return Outcome(records.final(record, key), returncode, text, stopped)


def _watch(
    command: list[str], root: Path, env: dict, passed_fds: tuple, group: cgroups.Group | None,
    jailed: int | None, wall_limit: float,
) -> tuple[int | None, str]:
    """Run the child to its end or the wall-clock limit, then kill all it left; its exit code
    (None at the limit) and its output, capped."""
    child = subprocess.Popen(
        command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=functools.partial(_limit_child, group), pass_fds=passed_fds,
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
    finally:  # also on Ctrl-C in `awaitlings watch`: no run is left behind
        try:
            os.killpg(child.pid, signal.SIGKILL)  # at the limit, and whatever the learner left behind
        except ProcessLookupError:
            pass
        if jailed is not None:
            _kill_user(jailed)  # also what left the process group
        child.wait()
    reader.join(timeout=10)
    return returncode, bytes(kept).decode("utf-8", "replace")


def _stopped_by(returncode: int | None, group: cgroups.Group | None, wall_limit: float) -> str | None:
    """Which limit ended the run early, in the learner's terms."""
    if group is not None and group.oom_killed():
        return f"its processes together used more than {MEMORY_LIMIT >> 30} GiB of memory, so the run was stopped"
    if returncode is None:
        return f"it was still running after {wall_limit:.0f} s, so the run was stopped"
    return None
