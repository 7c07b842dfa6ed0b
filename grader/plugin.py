"""The awaitlings pytest plugin.

- ``--submission PATH``: where tests and checks load the learner's modules from.
- ``learner`` fixture: the exercise of the test file's folder, in that submission.
- ``points(n)`` marker: a graded check worth n points.
- Failures of learner code print the check's message, not a traceback.
- ``--awaitlings-record FILE``: one JSON line per check, written as it ends.
"""

from __future__ import annotations

import functools
import gc
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_timeout

from grader import apart, catalog, loop, messages, tamper
from grader.failure import CheckFailed, is_time_limit
from grader.records import Record, RecordWriter
from grader.timeline import Picture

MESSAGE_LIMIT = 2000  # characters of a failure kept in a record
PRINTED_LIMIT = 2000  # characters of what a failed test's code printed kept in a record
CHECK_TIMEOUT = 10.0  # seconds of real time per test of learner code: correct code needs milliseconds
GRACE = 5.0  # seconds a check may take to end once its time limit stopped it
REAP_TIME = 2.0  # seconds to wait for killed leftovers to be gone (reaped)
HELD_SHARE = 0.5  # of a check's time limit, the most one step of learner code judged apart may hold its loop
FORK_SLACK = 10.0  # seconds an exercise's fork may take beyond its checks' limits (its start, its imports)
EXIT_UNSTOPPABLE = 3  # the run's exit status when a check would not stop
JAILED = os.getpid() == 1  # the first process of a PID namespace: the batch grader's jail

_writer_key = pytest.StashKey[RecordWriter]()
_submission_key = pytest.StashKey[Path]()
_modules_key = pytest.StashKey[dict]()
_status_key = pytest.StashKey[int]()
_abnormal_key = pytest.StashKey[int | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("awaitlings")
    group.addoption(
        "--submission",
        metavar="PATH",
        help="folder holding the learner's NN_topic folders (default: exercises). "
        "Use --submission solutions to run against the reference solutions.",
    )
    group.addoption("--awaitlings-record", metavar="FILE", help="append one JSON line per check to FILE")
    group.addoption("--awaitlings-key-fd", type=int, metavar="FD", help="read the records' signing key from this pipe")
    group.addoption(
        "--judge-in-process",
        action="store_true",
        help="run the learner's code in this process even for checks marked judged_apart "
        "(to debug a check: its tracebacks, pdb)",
    )
    group.addoption(
        "--check-timeout",
        type=float,
        default=CHECK_TIMEOUT,
        metavar="SECONDS",
        help=f"real-time limit of each test that runs learner code (default {CHECK_TIMEOUT:g})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): a graded check worth n points")
    config.addinivalue_line("markers", "judged_apart: the learner's code runs in a process of its own, never in the check's")
    config.addinivalue_line("filterwarnings", "ignore:coroutine .* was never awaited:RuntimeWarning")
    # looptime 0.9 asks for the event loop the deprecated way on 3.12+: its noise, not the learner's
    config.addinivalue_line("filterwarnings", "ignore:There is no current event loop:DeprecationWarning:looptime")
    chosen = config.getoption("submission")
    base = Path(config.invocation_params.dir) if chosen else config.rootpath
    config.stash[_submission_key] = (base / (chosen or "exercises")).resolve()
    config.stash[_modules_key] = {}
    record = config.getoption("awaitlings_record")
    if record:
        config.stash[_writer_key] = RecordWriter(Path(record), _read_key(config.getoption("awaitlings_key_fd")))


def _in_sandbox(config: pytest.Config) -> bool:
    """Whether this run grades in the batch grader's sandbox (it hands us a signing key)."""
    return config.getoption("awaitlings_key_fd") is not None


def _read_key(fd: int | None) -> bytes | None:
    """The signing key, read once and the pipe closed before any learner code is imported."""
    if fd is None:
        return None
    try:
        return os.read(fd, 64)
    finally:
        os.close(fd)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    writer = config.stash.get(_writer_key, None)
    if writer is not None:
        writer.close()
    _end_pool_workers()
    _leave_stuck_threads(config.stash.get(_status_key, 1))


def _end_pool_workers() -> None:
    """End the worker processes learner code left running (a ProcessPoolExecutor made at import
    and never shut down): they would outlive pytest, for ever, holding its output pipe open, so
    whatever reads that output (a terminal pipe, the CLI, CI) would wait for ever too."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    workers = multiprocessing.active_children()
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.join(timeout=1)


def _leave_stuck_threads(status: int) -> None:
    """Exit at once when a thread the learner started is still running (a worker waiting on a
    future that will never come): Python would otherwise wait for it at exit, for ever."""
    stuck = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    deadline = time.monotonic() + 0.5
    for thread in stuck:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in stuck):
        print(messages.STUCK_THREADS, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def pytest_report_header(config: pytest.Config) -> str:
    return f"awaitlings: checking the submission in {config.stash[_submission_key]}"


@pytest.fixture
def learner(request: pytest.FixtureRequest):
    """The learner's side of this test's exercise (named by the test file's folder); for a check
    marked ``judged_apart``, one whose code runs in a learner process (``grader.remote``)."""
    from grader.learner import Learner

    folder = Path(request.path).parent
    exercise = _exercise(request.config.rootpath / "exercises" / folder.name)
    if _judged_apart(request.node):
        from grader.remote.judge import HELD_LIMIT
        from grader.remote.learner import RemoteLearner, fork_server

        limit = _timeout_of(request.node)  # a step held longer is stopped well within the check's own limit
        held = min(HELD_LIMIT, HELD_SHARE * limit) if limit else HELD_LIMIT
        return RemoteLearner(exercise, request.config.stash[_submission_key] / folder.name, fork_server(), held,
                             request.config.stash[_modules_key])
    return Learner(exercise, request.config.stash[_submission_key] / folder.name, request.config.stash[_modules_key],
                   after_run=_after_run)


@functools.cache
def _exercise(folder: Path) -> catalog.Exercise:
    """The exercise in ``folder``, read once per run (its checks all ask)."""
    return catalog.load(folder)


class LearnerMessage:
    """A report body that prints a check's message as it is, and feeds the short summary."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.reprcrash = self  # pytest's short summary reads reprcrash.message
        self.message = text.splitlines()[0] if text else ""

    def toterminal(self, out) -> None:
        for line in self.text.splitlines():
            out.line(line, red=True, bold=False)

    def __str__(self) -> str:
        return self.text


def _remove_check_sources(session: pytest.Session) -> None:
    """In a grading sandbox, the checks are imported by now: delete their files and bytecode so
    the learner's code, which runs next, cannot read them. Never the kit's own: a sandbox run
    started by hand in the kit leaves them (and says so)."""
    if session.config.rootpath.resolve() == catalog.KIT_ROOT.resolve():
        print(messages.KIT_CHECKS_KEPT, file=sys.stderr)
        return
    for path in {Path(item.path) for item in session.items}:
        path.unlink(missing_ok=True)
        shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)


def _end_leftover_processes(spare: frozenset[int] = frozenset()) -> None:
    """In a grading jail the session is the PID namespace's first process: whatever else still
    runs there (but the exercise's fork, when called in it, and the processes in ``spare``) was
    started by the learner's code (a fork, a pool left open). End and reap it after each check,
    and after each exercise."""
    if not JAILED:
        return
    if spare:  # stopped first, all at once: a stopped process cannot fork while we look
        _signal_all(signal.SIGSTOP)
        for pid in _processes():
            if pid not in spare and pid not in (1, os.getpid()):
                _signal(pid, signal.SIGKILL)
        for pid in spare:
            _signal(pid, signal.SIGCONT)
    else:
        _signal_all(signal.SIGKILL)
    _reap(spare)


def _reap(spare: frozenset[int]) -> None:
    """Reap what was killed (its orphans come to us: the exercise's fork is their subreaper) until
    only we, process 1 and ``spare`` are left, for at most REAP_TIME s: a killed process dies a
    moment later, and its zombie counts against the run's process limit until reaped."""
    deadline = time.monotonic() + REAP_TIME
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        left = [pid for pid in _processes() if pid not in spare and pid not in (1, os.getpid())]
        if not left or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _signal_all(number: int) -> None:
    try:
        os.kill(-1, number)  # every process we may signal, except ourselves and process 1
    except ProcessLookupError:
        pass


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def _processes() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _judged_apart(item: pytest.Item) -> bool:
    """Whether the learner's code of this check runs in a process of its own."""
    return item.get_closest_marker("judged_apart") is not None and not item.config.getoption("judge_in_process")


def _spared(item: pytest.Item) -> frozenset[int]:
    """The fork server of a check judged apart (no learner code ever ran in its process, so
    nothing here can have been replaced): it serves the exercise's next check."""
    if not _judged_apart(item):
        return frozenset()
    from grader.remote.learner import server_pids

    return server_pids()


def _sweep_temporary(config: pytest.Config) -> None:
    """In the jail, between two exercises: empty the temporary folders (its own /tmp, /var/tmp,
    /dev/shm, and the tmpfs that holds pytest's basetemp) but for the run's own folders, so what
    one exercise's code left there (a full disk, a file where the next one's tmp_path goes) is gone."""
    if not JAILED:
        return
    basetemp = Path(config.option.basetemp) if config.option.basetemp else None
    keep = [config.rootpath, Path(config.getoption("awaitlings_record") or config.rootpath), *([basetemp] if basetemp else [])]
    for folder in {Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), *([basetemp.parent] if basetemp else [])}:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if any(path == kept or path in kept.parents for kept in keep) and path != basetemp:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()
            except (OSError, RecursionError):  # a tree too deep, or not ours to remove: it stays
                continue


def _forked_by_a_pool(frame) -> bool:
    while frame is not None:
        if (frame.f_globals.get("__name__") or "").startswith(("multiprocessing", "concurrent.futures")):
            return True
        frame = frame.f_back
    return False


def _refuse_learner_forks() -> None:
    """In a grading sandbox only multiprocessing (a process pool) may fork. ``os.fork`` from
    the learner's own code raises; a child forked some other way exits at once. So a fork bomb
    cannot spin (and cannot swallow the check's time limit inside the fork machinery)."""
    fork = os.fork

    def guarded_fork() -> int:
        if not _forked_by_a_pool(sys._getframe(1)):
            raise PermissionError(messages.NO_FORK)
        return fork()

    def child_check() -> None:
        if not _forked_by_a_pool(sys._getframe(1)):
            os._exit(70)

    os.fork = guarded_fork
    os.register_at_fork(after_in_child=child_check)


def _fail_if_tampered(guard: dict, item: pytest.Item, report: pytest.TestReport) -> None:
    """A check during which the learner's code patched what checks rely on fails, and so does
    every later check of that exercise; the patches are undone for the rest of the run."""
    exercise = guard["learner_tests"].get(id(item))
    if exercise is None:
        return  # only tests that run learner code (the kit's own tests may monkeypatch it)
    changed = guard["changed"]()
    writer = item.config.stash.get(_writer_key, None)
    if guard["writer"] is not writer:  # the stash's own entry is in the seal
        changed.append("the grader's record writer")
        guard["writer"] = writer
    if any(now is not was for now, was in zip(loop.tracing(), guard["tracing"])):
        changed.append("the trace functions (sys.settrace, sys.setprofile or sys.monitoring)")
        loop.restore_tracing(guard["tracing"])
    if changed:
        guard["restore"]()
        names = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        guard["tainted"].setdefault(exercise, messages.TAMPERED.format(names=names))
    if exercise in guard["tainted"]:
        report.outcome = "failed"
        report.longrepr = LearnerMessage(guard["tainted"][exercise])


def _message_for(excinfo: pytest.ExceptionInfo, item: pytest.Item, sandboxed: bool) -> str | None:
    """The learner-facing text of a failure, or None to keep pytest's own report. In the sandbox,
    anything else that escaped a check of learner code is one line: pytest's traceback would show
    the hidden check's code, paths and parameters."""
    error = excinfo.value
    if isinstance(error, CheckFailed):
        return str(error)
    if "learner" not in getattr(item, "fixturenames", ()):
        return None
    if is_time_limit(error):
        return messages.REAL_TIMEOUT.format(limit=_timeout_of(item))
    if sandboxed:
        return messages.ESCAPED.format(kind=messages.printable(type(error).__name__, 60), where=_learner_line(excinfo, item))
    return None


def _learner_line(excinfo: pytest.ExceptionInfo, item: pytest.Item) -> str:
    """`` (at gather.py:12)``: the last line of the learner's file in the traceback, if any."""
    learner = getattr(item, "funcargs", {}).get("learner")
    files = getattr(learner, "files", frozenset())
    lines = [entry for entry in excinfo.traceback if str(entry.path) in files]
    return f" (at {Path(str(lines[-1].path)).name}:{lines[-1].lineno + 1})" if lines else ""


def _timeout_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker and marker.args:
        return float(marker.args[0])
    return float(item.config.getini("timeout") or 0)


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 0.0


def _printed(report: pytest.TestReport) -> str:
    """What the code printed while a test ran, as pytest captured it (its start only)."""
    return "".join(text for name, text in report.sections if name in ("Captured stdout call", "Captured stderr call"))[:PRINTED_LIMIT]


def _record(item: pytest.Item, outcome: str, message: str, duration: float, schedule: dict | None = None,
            printed: str = "") -> Record:
    function = getattr(item, "function", None)
    doc = (function.__doc__ or "").strip().splitlines() if function else []
    max_points = _points(item)
    return Record(
        exercise=Path(item.path).parent.name,
        check=item.name,
        title=doc[0] if doc else item.name,
        nodeid=item.nodeid,
        points=max_points if outcome == "passed" else 0.0,
        max_points=max_points,
        outcome=outcome,
        message=message,
        duration=round(duration, 4),
        schedule=schedule,
        printed=printed,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of learner code gets a real-time limit, unless it sets its own."""
    limit = pytest.mark.timeout(config.getoption("check_timeout"))
    for item in items:
        if "learner" in getattr(item, "fixturenames", ()) and item.get_closest_marker("timeout") is None:
            item.add_marker(limit)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings) -> bool | None:
    """pytest-timeout's signal method without its dump of every thread's stack: the grader's own
    frames, written through a buffered stream that could reach the learner's terminal after the
    capture ended. The check fails with pytest-timeout's own message (is_time_limit reads it)."""
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own way (its thread method ends the process)

    def handler(signum, frame) -> None:
        __tracebackhide__ = True
        pytest.fail(pytest_timeout.PYTEST_FAILURE_MESSAGE % settings.timeout)

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # what pytest-timeout's cancel hook calls
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


def _baseline(session: pytest.Session, writer: RecordWriter | None):
    """``changed`` and ``restore`` for what learner code must leave as it is: the harness, the
    check modules, pytest's hooks and what carries the records out."""
    config = session.config
    objects: dict[str, object] = {"pytest's stash": config.stash._storage}
    if writer is not None:
        objects.update({"the record writer": writer, "the record file": writer.file})
    modules = tuple({id(m): m for m in (getattr(item, "module", None) for item in session.items) if m}.values())
    return tamper.seal(modules, config.pluginmanager, objects)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """In the sandbox, each exercise's checks run in a fork of this session (``grader.apart``)."""
    if not _in_sandbox(session.config) or session.testsfailed or session.config.option.collectonly:
        return None  # pytest's own loop (which stops at collection errors)
    config = session.config
    session.config.stash[_abnormal_key] = apart.run_each_exercise(
        session, _refuse_learner_forks, lambda: (_end_leftover_processes(), _sweep_temporary(config)),
        lambda items: sum(_timeout_of(item) + GRACE for item in items) + FORK_SLACK)
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Collect what earlier tests left, then freeze every live object: the collections a check
    makes (to hear about futures and files its learner code dropped) then walk only what this
    test creates, a millisecond instead of 20 ms for pytest's, aiohttp's and the checks' objects."""
    gc.collect()
    gc.freeze()


def _judging_hooks():
    """The hooks that judge and record each check. They share a state no module attribute leads
    to, and call the functions bound here, before any learner code runs: learner code that
    replaces this module's functions or the stash's entries does not change what they do."""
    guard: dict = {"learner_tests": {}, "tainted": {}, "writer": None, "recorded": set()}
    message_for, fail_if_tampered, sandboxed, end_leftovers, spared = (
        _message_for, _fail_if_tampered, _in_sandbox, _end_leftover_processes, _spared)
    record, baseline, remove_sources, picture, limit = _record, _baseline, _remove_check_sources, Picture, MESSAGE_LIMIT
    printed_by = _printed
    isinstance_, getattr_, timeout_of, skipped = isinstance, getattr, _timeout_of, messages.SKIPPED

    def pytest_collection_finish(session: pytest.Session) -> None:
        import blockbuster  # noqa: F401  (it replaces builtins.dir when imported: before the baseline)

        import grader.learner  # noqa: F401  (the whole harness, in the baseline before learner code runs)

        writer = guard["writer"] = session.config.stash.get(_writer_key, None)
        guard["learner_tests"] = {id(item): Path(item.path).parent.name for item in session.items
                                  if "learner" in getattr(item, "fixturenames", ())}
        guard["changed"], guard["restore"], guard["moved"] = baseline(session, writer)
        guard["functions"] = {id(item): getattr_(item, "obj", None) for item in session.items}
        guard["tracing"] = loop.tracing()
        if sandboxed(session.config):
            remove_sources(session)
        if writer is not None:
            for item in session.items:
                writer.write(record(item, "collected", "", 0.0))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if call.excinfo is not None and report.failed:
            text = message_for(call.excinfo, item, sandboxed(item.config))
            if text is not None:
                report.longrepr = LearnerMessage(text)
                report.sections = [s for s in report.sections if "stderr" not in s[0]]  # the thread method's dumps
        if call.when == "call" and report.skipped and id(item) in guard["learner_tests"]:
            report.outcome, report.longrepr = "failed", LearnerMessage(skipped)
        if call.when == "call" and "changed" in guard:
            fail_if_tampered(guard, item, report)
            if sandboxed(item.config):
                end_leftovers(spared(item))
        writer = guard["writer"]
        if writer is not None and (call.when == "call" or (call.when == "setup" and not report.passed)):
            message = report.longreprtext[:limit] if report.failed else ""
            detail = getattr_(call.excinfo.value, "detail", None) if call.excinfo else None
            schedule = detail.data() if isinstance_(detail, picture) else None
            printed = printed_by(report) if report.failed else ""
            writer.write(record(item, report.outcome, message, call.duration, schedule, printed))
            guard["recorded"].add(id(item))
        return report

    def watchdog(limit: float, last_words) -> Callable[[], None]:
        """A thread that calls ``last_words`` and ends the run unless stopped within ``limit`` s."""
        done, lock = threading.Event(), threading.Lock()

        def watch() -> None:
            if done.wait(limit):
                return
            with lock:
                if not done.is_set():
                    last_words()
                    os._exit(EXIT_UNSTOPPABLE)

        def stop() -> None:
            with lock:
                done.set()

        threading.Thread(target=watch, name="awaitlings-watchdog", daemon=True).start()
        return stop

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(item: pytest.Item):
        """A check still running GRACE s after its time limit caught the limit's exception (or the
        garbage its code left does, when collected): record it as failed and end the run; the batch
        reruns the exercise's other checks."""
        limit = timeout_of(item)
        if id(item) not in guard["learner_tests"] or not limit:
            return (yield)

        def last_words() -> None:
            text = messages.UNSTOPPABLE.format(limit=limit, grace=GRACE)
            print(f"\n{item.nodeid}: {text}", file=sys.stderr, flush=True)
            if guard["writer"] is not None and id(item) not in guard["recorded"]:  # stuck in teardown: said
                guard["writer"].write(record(item, "failed", text, limit + GRACE))

        stop = watchdog(limit + GRACE, last_words)
        try:
            return (yield)
        finally:
            stop()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
        """Learner code left behind (a coroutine that swallows its own closing) can hang pytest's
        last garbage collections: the run ends anyway, its records all written."""
        abnormal = session.config.stash.get(_abnormal_key, None)
        if abnormal is not None:  # an exercise's fork that did not end cleanly: the run's status
            session.exitstatus = exitstatus = abnormal
        session.config.stash[_status_key] = int(exitstatus)
        if guard["writer"] is not None:
            watchdog(GRACE, lambda: print(messages.STUCK_AT_EXIT, file=sys.stderr, flush=True))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(item: pytest.Item) -> None:
        """The function pytest is about to run for this check is the check's own: learner code
        (of any exercise, run earlier) that swapped it voids this check's exercise."""
        exercise, kept = guard["learner_tests"].get(id(item)), guard.get("functions", {}).get(id(item))
        if exercise is not None and kept is not None and getattr_(item, "obj", None) is not kept:
            item.obj = kept
            guard["tainted"].setdefault(exercise, messages.TAMPERED.format(names="the check functions pytest runs"))

    def after_run() -> None:
        """Between a run of learner code and the check's judging: what the run replaced (a patch
        that would undo itself once it has fooled the judge) is undone, and voids the exercise."""
        if "moved" in guard and guard["moved"]():
            changed = [name for name in guard["changed"]() if tamper.judges(name)]
            guard["restore"]()
            raise CheckFailed(messages.TAMPERED.format(names=", ".join(changed[:5]) or "the grader"))

    return (pytest_collection_finish, pytest_runtest_makereport, pytest_runtest_protocol, pytest_runtest_call,
            pytest_sessionfinish, after_run)


(pytest_collection_finish, pytest_runtest_makereport, pytest_runtest_protocol, pytest_runtest_call,
 pytest_sessionfinish, _after_run) = _judging_hooks()
