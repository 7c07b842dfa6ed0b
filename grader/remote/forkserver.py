"""A fork server: one clean interpreter, with the learner side already imported, that forks a
learner process per run in a few milliseconds instead of starting Python each time (about 60 ms
idle, up to 0.9 s under load).

The server never holds anything of the judge: it is started with ``-I`` and a minimal
environment (fixed hash seed), and it makes itself undumpable, so a learner process of the same
uid without ``CAP_SYS_PTRACE`` cannot reach into it to tamper with the next learner's process.
Protocol on its control socket, one run at a time: the judge sends ``b"r"`` with two fds (its
socket end for the learner, the log file); the server forks, answers the child's pid (8 bytes),
waits for that child and answers its exit code (8 bytes, signed; -N for signal N).
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import subprocess
import sys
import traceback
from pathlib import Path

if __name__ == "__main__":  # a script under -I: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

NUMBER = struct.Struct(">q")
SERVER_GONE = -999  # the exit code of a learner process whose server (its parent) was killed
MINIMAL_ENV = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}


class ForkServer:
    """The judge's handle on a running fork server; a server a learner process killed (it is
    that process's parent) is started again for the next run."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-I", __file__, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=MINIMAL_ENV,
        )
        theirs.close()
        self.control = ours

    def fork(self, learner_end: socket.socket, log_fd: int) -> "Forked":
        """A new learner process on ``learner_end``, its output to ``log_fd``."""
        if self.process.poll() is not None:
            self.close()
            self._start()
        socket.send_fds(self.control, [b"r"], [learner_end.fileno(), log_fd])
        return Forked(self, _number(self.control))

    def close(self) -> None:
        self.control.close()  # the server ends when its control socket closes
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "ForkServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Forked:
    """One learner process made by the server: kill it (its whole process group), wait for its code."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server, self.pid, self.returncode = server, pid, None

    def kill(self) -> None:
        if self.returncode is None:  # the server has not reaped it yet: the pid is still its own
            for kill in (os.kill, os.killpg):  # before its setsid() the group is not there yet
                try:
                    kill(self.pid, 9)
                except ProcessLookupError:
                    pass

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.server.control.settimeout(timeout)
            try:
                self.returncode = _number(self.server.control)
            except TimeoutError:
                raise subprocess.TimeoutExpired("learner process", timeout) from None
            except ConnectionError:  # it killed the server, its parent: its own code is lost
                self.kill()
                self.returncode = SERVER_GONE
            finally:
                self.server.control.settimeout(None)
        return self.returncode


def _number(sock: socket.socket) -> int:
    data = b""
    while len(data) < NUMBER.size:
        chunk = sock.recv(NUMBER.size - len(data))
        if not chunk:
            raise ConnectionError("the fork server ended")
        data += chunk
    return NUMBER.unpack(data)[0]


def _child(control: socket.socket, learner_fd: int, log_fd: int, main) -> int:
    """The forked learner process, as if started as ``python -I learner_side.py FD``: its exit code."""
    try:
        control.close()
        os.setsid()  # its own process group: the judge kills it and what it started at once
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        sys.argv = [main.__code__.co_filename, str(learner_fd)]
        main(learner_fd)
        return 0
    except SystemExit as exit:  # what the interpreter would make of it
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve(control: socket.socket) -> None:
    """The server's loop: one fork per request, its pid, then its exit code."""
    from grader.remote import learner_side  # imported once here, before any fork (the judge's modules never are)

    if sys.platform.startswith("linux"):  # as judge.undumpable(), without importing the judge
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 1, 2)
        except OSError:
            return
        if not message or len(fds) != 2:
            return
        learner_fd, log_fd = fds
        pid = os.fork()
        if pid == 0:
            os._exit(_child(control, learner_fd, log_fd, learner_side.main))
        os.close(learner_fd)
        os.close(log_fd)
        control.sendall(NUMBER.pack(pid))
        _, status = os.waitpid(pid, 0)
        control.sendall(NUMBER.pack(os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
