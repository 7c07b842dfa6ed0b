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
import itertools
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from _pytest.outcomes import Exit

INTERRUPTED = 2  # pytest's status for KeyboardInterrupt or pytest.exit()
INTERNAL_ERROR = 3
PR_SET_DUMPABLE = 4


def run_each_exercise(session: pytest.Session, in_fork: Callable[[], None], after: Callable[[], None]) -> int | None:
    """Run the session's checks, one fork per test folder (``in_fork`` runs first in each;
    ``after`` runs here when each fork has ended). Returns the status of the last fork that
    did not end cleanly (128 + N for a signal N: in the jail the session is process 1, which
    no signal of its own ends), or None."""
    abnormal = None
    _dumpable(False)  # an exercise's fork (same user) may not ptrace the session or read its memory
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # nor stop it with Ctrl-C's signal
    try:
        for _, group in itertools.groupby(session.items, key=lambda item: Path(item.path).parent):
            code = _forked(session, list(group), in_fork)
            after()
            if code != 0:
                abnormal = code
    finally:
        signal.signal(signal.SIGINT, interrupt)
    return abnormal


def _forked(session: pytest.Session, items: list[pytest.Item], in_fork: Callable[[], None]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = INTERNAL_ERROR
        try:
            _dumpable(True)  # the learner's process is the learner's to inspect (faulthandler, /proc/self)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            in_fork()
            for item, nextitem in zip(items, [*items[1:], None]):
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            code = 0
        except (KeyboardInterrupt, Exit):
            code = INTERRUPTED
        except BaseException:  # noqa: BLE001  said in the run's output; the fork ends all the same
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _dumpable(allowed: bool) -> None:
    """Linux's PR_SET_DUMPABLE: whether processes of the same user may ptrace this one or read
    /proc/<pid>/mem (without CAP_SYS_PTRACE, which the jail drops)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(allowed), 0, 0, 0)


def signal_of(returncode: int) -> signal.Signals | int | None:
    """The signal that ended a run, from its exit status (negative, or 128 + N from a fork)."""
    number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else None
    if number is None:
        return None
    try:
        return signal.Signals(number)
    except ValueError:
        return number
