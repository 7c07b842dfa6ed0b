"""In the grading sandbox, each exercise's checks run in a fork of their own.

The batch grader runs all of a learner's exercises in one pytest session. The session collects
the checks and takes the tamper baseline before any learner code runs, then forks once per
exercise: the fork imports that exercise's module and runs its checks, and the session, which
no learner code ever touched, waits and forks again for the next one. Whatever one exercise's
module does to its process (an event loop policy, a gc callback, a thread that never lets go
of the interpreter, an ``os._exit``) ends with its fork, and the session cannot be read or traced
from it. A fork costs milliseconds, where a pytest session in a new interpreter costs a third of a
second.
"""

from __future__ import annotations

import ctypes
import faulthandler
import itertools
import os
import resource
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from _pytest.outcomes import Exit

INTERRUPTED = 2  # pytest's status for KeyboardInterrupt or pytest.exit()
INTERNAL_ERROR = 3
OVERTIME = 124  # a fork still alive when its checks' time limits were all spent: killed
EXIT_GRACE = 5.0  # seconds a fork may take to end once its checks are done
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
LIMITS = tuple(getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_"))


def run_each_exercise(
    session: pytest.Session, in_fork: Callable[[], None], after: Callable[[], None],
    seconds_for: Callable[[list[pytest.Item]], float],
) -> int | None:
    """Run the session's checks, one fork per test folder (``in_fork`` runs first in each;
    ``after`` runs here when each fork has ended; a fork still alive ``seconds_for(its items)``
    after it started is killed). Returns the status of the last fork that did not end cleanly
    (128 + N for a signal N: in the jail the session is process 1, which no signal of its own
    ends), or None. A fork that lowered the session's resource limits (same user: it may) ends
    the loop: the exercises after it run again in a session of their own."""
    abnormal = None
    _dumpable(False)  # an exercise's fork (same user) may not ptrace the session or read its memory
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # nor stop it with Ctrl-C's signal
    faults = faulthandler.is_enabled()
    faulthandler.disable()  # its handler re-raises a SIGSEGV sent from a fork, which then ends process 1
    limits = {limit: resource.getrlimit(limit) for limit in LIMITS}
    try:
        for _, group in itertools.groupby(session.items, key=lambda item: Path(item.path).parent):
            items = list(group)
            code = _forked(items, in_fork, seconds_for(items), faults)
            after()
            if code != 0:
                abnormal = code
            if not _restored(limits):
                print(f"awaitlings: {Path(items[0].path).parent.name}'s code lowered the session's resource "
                      "limits: the exercises after it are left to a session of their own", file=sys.stderr)
                break
    finally:
        signal.signal(signal.SIGINT, interrupt)
        if faults:
            faulthandler.enable()
    return abnormal


def _forked(items: list[pytest.Item], in_fork: Callable[[], None], seconds: float, faults: bool) -> int:
    """Run ``items`` in a fork of this process; its exit status (128 + N for a signal N, OVERTIME)."""
    sys.stdout.flush()
    sys.stderr.flush()
    end = os._exit  # bound before the fork: learner code that replaces os._exit cannot keep its process alive
    said_done, says_done = os.pipe()  # the fork writes a byte when its checks are done
    pid = os.fork()
    if pid == 0:
        code = INTERNAL_ERROR
        os.close(said_done)
        try:
            _dumpable(True)  # the learner's process is the learner's to inspect (faulthandler, /proc/self)
            _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of learner processes come here, to be reaped between checks
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if faults:
                faulthandler.enable()
            in_fork()
            for item, nextitem in zip(items, [*items[1:], None]):
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            code = 0
            os.write(says_done, b".")
        except (KeyboardInterrupt, Exit):
            code = INTERRUPTED
        except BaseException:  # noqa: BLE001  said in the run's output; the fork ends all the same
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            end(code)
    os.close(says_done)
    try:
        code = _waited(pid, said_done, seconds)
    finally:
        os.close(said_done)
    if code is None:
        print(f"awaitlings: the checks of {Path(items[0].path).parent.name} still ran after {seconds:.0f} s, "
              "all their time limits; their process was stopped", file=sys.stderr, flush=True)
        return OVERTIME
    return 128 - code if code < 0 else code


def _waited(pid: int, said_done: int, seconds: float) -> int | None:
    """The exit code of child ``pid`` (negative: a signal), or None if it was still running
    ``seconds`` after it started, or EXIT_GRACE after it said (on ``said_done``) that its checks were
    done: something of the learner's keeps it from ending (a thread holding the interpreter). It is
    then killed."""
    deadline, listening = time.monotonic() + seconds, True
    while (left := deadline - time.monotonic()) > 0:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if not listening:
            time.sleep(min(left, 0.005))
        elif select.select([said_done], [], [], min(left, 0.05))[0]:
            listening = os.read(said_done, 1) == b"."  # b"": its end closed, the fork is ending
            deadline = min(deadline, time.monotonic() + EXIT_GRACE)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _restored(limits: dict[int, tuple[int, int]]) -> bool:
    """Put back the resource limits a fork changed on this process (prlimit); False if one cannot be."""
    for limit, kept in limits.items():
        if resource.getrlimit(limit) != kept:
            try:
                resource.setrlimit(limit, kept)
            except (ValueError, OSError):  # a hard limit lowered: only root could raise it again
                return False
    return True


def _dumpable(allowed: bool) -> None:
    """Linux's PR_SET_DUMPABLE: whether processes of the same user may ptrace this one or read
    /proc/<pid>/mem (without CAP_SYS_PTRACE, which the jail drops)."""
    _prctl(PR_SET_DUMPABLE, int(allowed))


def _prctl(option: int, value: int) -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def signal_of(returncode: int) -> signal.Signals | int | None:
    """The signal that ended a run, from its exit status (negative, or 128 + N from a fork)."""
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else None
    if number is None:
        return None
    try:
        return signal.Signals(number)
    except ValueError:
        return number
