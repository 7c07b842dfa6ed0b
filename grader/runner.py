"""Run pytest on learner code in a child process, bounded in time, memory, processes and files.

Learner code never runs in the caller's process. Results come back as records
written per check, so a child killed mid-run still reports the checks it finished.
With ``isolated=True`` (batch grading) the child also gets: no conftest, no plugins, no
environment of ours, records signed with a key passed through an inherited pipe and, where
the OS allows (Linux, run as root), a jail: new network (loopback only), mount and PID
namespaces, a root of its own holding only what it needs (the system's programs and
libraries, Python and the grader, read-only; its sandbox; private temporary folders), and a
user id of its own, so process limits hold, nothing of ours is writable and every process it
leaves dies with it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader import apart, cgroups, records
from grader.catalog import KIT_ROOT
from grader.plugin import CHECK_TIMEOUT

WALL_LIMIT = 300.0  # seconds for one pytest child, whatever it runs
STALL_LIMIT = 60.0  # seconds without a record: a check's own limits (10 s, then 5 s) were never heard
MEMORY_LIMIT = 2 << 30  # bytes of address space
FILE_LIMIT = 64 << 20  # bytes in one written file
PROCESS_LIMIT = 64  # processes and threads of the child's user (not enforced for root)
TASK_LIMIT = PROCESS_LIMIT + 8  # processes and threads of the whole run, in its control group (+ the jail's)
OUTPUT_LIMIT = 200_000  # bytes of child output kept; the rest is read and dropped
PLUGINS = ["-p", "grader.plugin", "-p", "pytest_timeout"]
TMP = Path("/tmp").resolve()  # the jail's own, empty but for the run's sandbox and scratch
SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # read-only in the jail
DEVICES = ("null", "zero", "full", "random", "urandom")
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


def _python_folders() -> list[Path]:
    """What a jailed child needs to run the grader: the interpreter, its environment and the grader
    package. Not every folder on our sys.path: ``python -I`` in the jail ignores PYTHONPATH and the
    script's folder (which could hold another class), and finds site-packages under its own prefix."""
    return [Path(sys.executable).resolve().parent, Path(sys.prefix), Path(sys.base_prefix), *_installed_grader()]


@functools.cache
def _installed_grader() -> list[Path]:
    """Where ``python -I`` finds the grader package (an editable install points into a kit), which
    may not be the copy this process runs (``awaitlings ci`` started from a student kit)."""
    find = "import importlib.util as u; s = u.find_spec('grader'); print(*(s.submodule_search_locations or []) if s else [], sep=chr(10))"
    try:
        found = subprocess.run([sys.executable, "-I", "-c", find], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return [Path(p) for p in found.stdout.splitlines() if p]


def _system_steps(new: str) -> list[str]:
    """The machine's programs, libraries and /etc, read-only, in the jail's root ``new``."""
    steps = []
    for name in SYSTEM:
        place = Path(name)
        if place.is_symlink():  # /bin -> usr/bin on merged-/usr systems
            steps.append(f"ln -s {shlex.quote(os.readlink(place))} {new}{name}")
        elif place.is_dir():
            steps.append(f"mkdir {new}{name} && mount --bind {name} {new}{name} && mount -o remount,bind,ro,nosuid,nodev {new}{name}")
    return steps


def _device_steps(new: str) -> list[str]:
    """A /dev holding the harmless devices only, with a private /dev/shm (a process pool's semaphores)."""
    steps = [f"mkdir {new}/dev && mount -t tmpfs -o nosuid,nodev,size=64k,mode=755 awaitlings-dev {new}/dev"]
    steps += [f"touch {new}/dev/{d} && mount --bind /dev/{d} {new}/dev/{d}" for d in DEVICES]
    steps += [f"ln -s /proc/self/fd {new}/dev/fd"]
    steps += [f"ln -s /proc/self/fd/{n} {new}/dev/{name}" for n, name in enumerate(("stdin", "stdout", "stderr"))]
    return [*steps, f"mkdir {new}/dev/shm && mount -t tmpfs -o nosuid,nodev,size=64m,mode=1777 awaitlings-shm {new}/dev/shm"]


def _jail_script(uid: int, hide: list[Path], reach: list[Path], own: tuple[Path, ...] = (),
                 fresh: tuple[Path, ...] = ()) -> str:
    """Shell steps, run as root in the new namespaces, that build the jail's root from an allowlist
    and start the program there as user ``uid``; nothing else of the machine is in that root."""
    new = "/var/tmp"  # the namespace's own mount point for the new root: the machine's folder is untouched
    python = _outermost(_python_folders())
    reached = _outermost([p.resolve() for p in reach])
    places = _outermost([*python, *reached])
    owned = {p.resolve() for p in own}
    mounts: list[tuple[Path, str]] = []  # (where in the jail, how), mounted parents first
    for place in places:
        there = f"{new}{shlex.quote(str(place))}"
        if place in owned:  # a tmpfs copy of its own: what it writes counts against its memory, not our disk
            how = (f"mkdir -p {there} && mount -t tmpfs -o nosuid,nodev,size={OWN_SIZE},mode=700,uid={uid},gid={uid} "
                   f"awaitlings-own {there} && cp -a {shlex.quote(str(place))}/. {there}/")
        else:
            how = f"mkdir -p {there} && mount --bind {shlex.quote(str(place))} {there}"
            if place not in reached or place in python:
                how += f" && mount -o remount,bind,ro,nosuid,nodev {there}"
        mounts.append((place, how))
    for folder in fresh:
        there = f"{new}{shlex.quote(str(folder.resolve()))}"
        mounts.append((folder.resolve(), f"mount -t tmpfs -o nosuid,nodev,size={OWN_SIZE},mode=1777 awaitlings-fresh {there}"))
    for folder in _outermost(hide):
        if any(folder.is_relative_to(p) for p in places) and not any(p.is_relative_to(folder) for p in places):
            there = f"{new}{shlex.quote(str(folder))}"
            mounts.append((folder, f"mount -t tmpfs -o nosuid,nodev,size=4k,mode=000 awaitlings-hidden {there}"))
    for folder, size in ((TMP, PRIVATE_TMP_SIZE), (Path("/var/tmp"), "64m")):
        mounts.append((folder, f"mkdir -p {new}{folder} && mount -t tmpfs -o nosuid,nodev,size={size},mode=1777 awaitlings-tmp {new}{folder}"))
    steps = ["ip link set lo up", f"mount -t tmpfs -o nosuid,nodev,size=1m,mode=755 awaitlings-root {new}", *_system_steps(new),
             *_device_steps(new), f"mkdir {new}/proc && mount -t proc -o nosuid,nodev,noexec proc {new}/proc"]
    steps += [how for _, how in sorted(mounts, key=lambda m: len(m[0].parts))]
    # no setuid program (su, passwd) gains root, nor any capability: none is left to gain
    drop = f"setpriv --reuid={uid} --regid={uid} --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs"
    # the same working folder inside, or / when it is not in the jail (a probe started anywhere)
    enter = f'exec chroot {new} /bin/sh -c \'{{ cd "$1" 2>/dev/null || cd /; }} && shift && exec "$@"\' sh "$(pwd)" {drop}'
    return " && ".join([*steps, f'{enter} "$@"'])


def jail(uid: int, hide: list[Path], reach: list[Path], own: tuple[Path, ...] = (),
         fresh: tuple[Path, ...] = ()) -> list[str]:
    """A command prefix running a program in new network (lo only), mount, PID, IPC and UTS
    namespaces, as user ``uid``, in a root holding only the system's programs, libraries and /etc
    (read-only), the Python environment and the grader (read-only) and the ``reach`` folders, with
    ``hide`` folders inside those covered, each ``own`` folder replaced by a tmpfs copy owned by
    ``uid``, each ``fresh`` one by an empty tmpfs, and a /tmp, /var/tmp and /dev/shm of its own;
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
    missing = [tool for tool in ("unshare", "ip", "setpriv", "mount", "chroot") if not shutil.which(tool)]
    if missing:
        return f"missing tools: {', '.join(missing)}"
    if not Path("/var/tmp").is_dir():
        return "no /var/tmp (the jail's root is built there, in its own mount namespace)"
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
        "filesystem": "a root of its own built from a list: the system's /usr, /etc and libraries, the Python "
        "environment and the grader package, read-only; the rest of the machine (the kit's solutions, checks, "
        "tests and history, the submissions, the outputs) absent; writable: a tmpfs copy of its own folder, "
        "a private /tmp, /dev/shm and /var/tmp, and its records file"
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


_SCRATCH = re.compile(r"awaitlings-(?:[a-z]+-)?(\d+)\.")  # the name scratch_folder gives: kind, owner's pid


stopping = threading.Event()  # set: every run under way is killed within a second (Ctrl-C of a batch)


class Stopped(BaseException):
    """A run killed because ``stopping`` was set; not an outcome of the learner's code."""


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A fresh temporary folder, removed afterwards whatever learner code left in it (a tree
    1,200 folders deep made shutil.rmtree raise RecursionError on 3.11 and stopped the batch).
    Its name holds this process's id, so ``sweep_scratch`` can tell when its owner was killed."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}."))
    try:
        yield folder
    finally:
        _remove(folder)


def _remove(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except (RecursionError, OSError):
        subprocess.run(["rm", "-rf", "--", str(folder)], check=False, capture_output=True)


def sweep_scratch() -> list[Path]:
    """Remove the scratch folders a killed grader left behind (unpacked submissions, sandbox
    copies): those whose owning process is gone. Returns what it removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob("awaitlings-*"):
        found = _SCRATCH.match(folder.name)
        try:
            ours = folder.lstat().st_uid == os.getuid() and folder.is_dir() and not folder.is_symlink()
        except OSError:
            continue
        if found and ours and not _alive(int(found[1])):
            _remove(folder)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


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
    in_process: bool = False,
) -> Outcome:
    """Run ``pytest paths --submission submission`` in ``root`` and collect its records.

    ``hide``: folders a jailed child must not see, besides the kit's own secrets.
    ``isolated`` hands ``root`` to the jailed user: it must be a throwaway copy (``batch._sandbox``).
    ``bytecode``: let pytest cache its rewritten test modules in ``__pycache__`` (off: learner runs
    leave no files behind). ``in_process``: judge the checks marked ``judged_apart`` in pytest's
    process too (``--judge-in-process``).
    """
    if isolated and root.resolve() == KIT_ROOT:
        raise ValueError("an isolated run gives its root folder to the jailed user: pass a throwaway copy, not the kit")
    with scratch_folder("awaitlings-") as scratch:
        record = scratch / "records.jsonl"
        options = [
            *PLUGINS, "--submission", str(submission), "--awaitlings-record", str(record),
            "-q", "--no-header", "--strict-markers", "--import-mode=importlib", "-p", "no:cacheprovider",
            "--rootdir", str(root), "--check-timeout", str(check_timeout), "-o", "timeout_method=signal",
            *(["--judge-in-process"] if in_process else []),
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
            returncode, text, stalled = _watch(
                [*prefix, *python, "-m", "pytest", *paths, *options], root, env, passed_fds, group, jailed, wall_limit,
                record, key, STALL_LIMIT,
            )
            stopped = _stopped_by(returncode, group, wall_limit, stalled)
        finally:
            if group is not None:
                group.remove()
        return Outcome(records.final(record, key), returncode, text, stopped)


def _watch(
    command: list[str], root: Path, env: dict, passed_fds: tuple, group: cgroups.Group | None,
    jailed: int | None, wall_limit: float, record: Path, key: bytes | None, stall_limit: float,
) -> tuple[int | None, str, bool]:
    """Run the child to its end, the wall-clock limit, or ``stall_limit`` s without a new record
    (signed with ``key``, when given: learner code can make the file grow, not add a record), then
    kill all it left; its exit code (None when stopped), its output, capped, and whether it stalled."""
    child = subprocess.Popen(
        command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=functools.partial(_limit_child, group), pass_fds=passed_fds,
    )
    for fd in passed_fds:
        os.close(fd)
    kept = bytearray()
    reader = threading.Thread(target=_read_capped, args=(child.stdout, kept), daemon=True)
    reader.start()
    returncode: int | None = None
    stalled, start = False, time.monotonic()
    tally, counted, heard = records.Tally(record, key), -1, start
    try:
        while returncode is None and time.monotonic() - start < wall_limit:
            if stopping.is_set():
                raise Stopped
            try:
                returncode = child.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                count = tally.update()
                if count != counted:
                    counted, heard = count, time.monotonic()
                elif time.monotonic() - heard > stall_limit:
                    stalled = True
                    break
    finally:  # also on Ctrl-C in `awaitlings watch`: no run is left behind
        try:
            os.killpg(child.pid, signal.SIGKILL)  # at the limit, and whatever the learner left behind
        except ProcessLookupError:
            pass
        if jailed is not None:
            _kill_user(jailed)  # also what left the process group
        child.wait()
    reader.join(timeout=10)
    return returncode, bytes(kept).decode("utf-8", "replace"), stalled


def _stopped_by(returncode: int | None, group: cgroups.Group | None, wall_limit: float, stalled: bool = False) -> str | None:
    """Which limit ended the run early, in the learner's terms."""
    if group is not None and group.oom_killed():
        return f"its processes together used more than {MEMORY_LIMIT >> 30} GiB of memory, so the run was stopped"
    if stalled:
        return (f"a check ran {STALL_LIMIT:.0f} s without ending, its time limit unheard (code that never lets "
                "Python's interpreter go, such as one long computation in C), so the run was stopped")
    if returncode is None:
        return f"it was still running after {wall_limit:.0f} s, so the run was stopped"
    if returncode == apart.OVERTIME:
        return ("its process still ran when the time limits of all its checks were spent (code that keeps its "
                "process from ending), so it was stopped")
    ended_by = apart.signal_of(returncode)
    if ended_by is not None:
        name = ended_by.name if isinstance(ended_by, signal.Signals) else f"signal {ended_by}"
        crashed = ended_by in (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGABRT)
        crash = " (a crash inside C code: ctypes, a too deep recursion, os.abort())" if crashed else ""
        return f"its process was ended by {name}{crash}"
    if returncode == 2:  # pytest's "interrupted"
        return "the run was interrupted (the code raised KeyboardInterrupt or called pytest.exit)"
    return None
