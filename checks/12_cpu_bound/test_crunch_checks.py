"""Hidden checks of exercise 12: crunch_all and crunch_batches send CPU-heavy work to processes.

Every ``ProcessPoolExecutor`` made or used while the learner's function runs is watched (its
methods are wrapped for the length of the run, so it does not matter how the learner names or
creates it): the pools made and their number of workers, each job submitted (to which pool,
from which thread, how many jobs were still out at that moment, and the process id of the
worker that ran it), each shutdown (wait or not, and how many of its jobs were still out), and
every ``result()`` waited for on the event loop's thread. The learner module's ``count_primes``
is replaced for the run by one that notes each call made in the check's own process (in the
loop's thread or another) and computes with the check's own trial division, so the work has
the same size whatever the learner did to it.

The checks decide from those records, not from speed-ups or real time: "the work ran in other
processes" from process ids, "one pool, shut down" from the pool records, "the loop stayed
free" from a heartbeat task that wakes when a job is sent to a pool: a loop that awaits its
jobs lets it run at least once; a loop frozen until the jobs are done never does.

Pools run with the platform's start method; where it is not ``fork``, each worker first
imports the learner's module by path. The pool's own bookkeeping (a lock it shares with its
manager thread, joining its workers at shutdown) is hidden from blockbuster: whether a
shutdown froze the loop is decided from the jobs still out when it was called. Checks that
read the same scenario share one run of it (each pool costs tens of milliseconds to start).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import math
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

import pytest

from grader import expect, messages
from grader.blocking import Location, learner_location
from grader.failure import CheckFailed, is_time_limit
from grader.learner import error_text, members, short

MIN_TICKS = 1  # a loop that awaits its jobs lets the heartbeat run at least once; a frozen one, never
# s of loop time before a call counts as hung. While a job is out and no timer is due, the
# virtual clock stands still until 80% of the time left passes with no news: correct calls
# end at loop time 0; a job that never ends is stopped after LIMIT seconds of real time.
LIMIT = 3.0
WORKERS = 2  # the check's own pool

GATHER_JOBS = "`await asyncio.gather(*(loop.run_in_executor(executor, count_primes, n) for n in numbers))`"
RUN_IN_EXECUTOR = (
    "Hand each number to the executor you are given and await them all together: "
    f"`loop = asyncio.get_running_loop()`, then {GATHER_JOBS}."
)
ONE_POOL = (
    "Create the pool once, `with ProcessPoolExecutor(max_workers=workers) as pool:`, and inside that block "
    "`await crunch_all(batch, pool)` for every batch: every batch reuses the same worker processes."
)
SHUTDOWN = (
    "`with ProcessPoolExecutor(max_workers=workers) as pool:` around all the batches shuts the pool down "
    "when the block ends, also when a batch raises (or call pool.shutdown() in a `finally:`)."
)
PICKLE = (
    "A process pool sends the function to another process by pickling its name: pass count_primes itself "
    "and its argument, `loop.run_in_executor(executor, count_primes, n)`, not a lambda or a function "
    "defined inside another."
)
AFTER_SHUTDOWN = (
    "A pool that was shut down takes no more work. crunch_all borrows the executor it is given and must not "
    "shut it down; crunch_batches makes one pool and shuts it down after the last batch."
)

# The job each worker runs: the learner's callable, and the worker's process id with its result.
# A builtin (eval) with plain data pickles by reference under every start method, even where
# this module could not be imported by a worker.
TRACE = "(__import__('os').getpid(), fn(*args, **kwargs))"
# What a fresh worker (start method spawn or forkserver) runs first: import the learner's
# module by path, under the name the harness gave it, so that its functions unpickle.
LOAD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location(name, path)
sys.modules[name] = module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def loader(learner: Any) -> functools.partial:
    return functools.partial(
        exec, LOAD, {"name": learner.module.__name__, "path": str(learner.path)}
    )


def reference_count(limit: int) -> int:
    """count_primes as the stub gives it: trial division (the work the check times)."""
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")
    count = 0
    for n in range(2, limit):
        for divisor in range(2, math.isqrt(n) + 1):
            if n % divisor == 0:
                break
        else:
            count += 1
    return count


@functools.cache
def expected_count(limit: int) -> int:
    """The number of primes below ``limit`` (a sieve: instant)."""
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0] = sieve[1] = 0
    for n in range(2, math.isqrt(limit - 1) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit, n)))
    return sum(sieve)


def expected_counts(numbers: list[int]) -> list[int]:
    return [expected_count(n) for n in numbers]


# --- the watch -----------------------------------------------------------------------------


@dataclass
class Job:
    pool: PoolRecord
    work: str  # "count_primes(7000)", as the learner wrote it
    numbers: list[Any]  # what it computes: [7000]
    in_loop: bool  # submitted from the event loop's thread
    # jobs (of any pool) submitted earlier and not done at that moment
    running_before: int
    future: concurrent.futures.Future
    pid: int | None = None  # the worker that ran it
    waiter: Any = None  # the loop's own future for it (see _announce)
    inner: concurrent.futures.Future | None = None  # the pool's own future for it
    # done once the answer reached the learner's future
    gate: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


@dataclass(frozen=True)
class Shutdown:
    wait: bool
    running: int  # this pool's jobs not done when shutdown was called
    in_loop: bool


@dataclass
class PoolRecord:
    number: int
    made_by: str  # "check", "learner" (during the check) or "before" (e.g. at import)
    workers: int | None
    pool: ProcessPoolExecutor
    jobs: list[Job] = field(default_factory=list)
    shutdowns: list[Shutdown] = field(default_factory=list)
    # the pool's worker processes and manager thread, kept past its shutdown (which forgets them)
    processes: dict = field(default_factory=dict)
    manager: threading.Thread | None = None

    def remember(self) -> None:
        processes = getattr(self.pool, "_processes", None)
        if processes is not None:
            self.processes = processes  # the pool's own dict: it fills as workers start
        manager = getattr(self.pool, "_executor_manager_thread", None)
        if manager is not None:
            self.manager = manager


@dataclass(frozen=True)
class LocalCall:
    """count_primes called in the check's own process: by the loop's thread or another one."""

    limit: Any
    in_loop: bool
    where: Location | None


class TracedFuture(concurrent.futures.Future):
    """What submit returns to the learner: the job's result; notes a blocking result() on the loop."""

    def __init__(self, watch: PoolWatch, job_text: str) -> None:
        super().__init__()
        self._watch = watch
        self._job_text = job_text

    def result(self, timeout: float | None = None) -> Any:
        if not self.done() and self._watch.on_loop():
            self._watch.blocking_waits.append(
                (self._job_text, learner_location(sys._getframe(1), self._watch.files))
            )
        return super().result(timeout)


@contextlib.contextmanager
def blockbuster_paused() -> Iterator[None]:
    """The pool's own bookkeeping (a lock shared with its manager thread) is not the learner's blocking."""
    try:
        from blockbuster import blockbuster as bb

        skip = bb._skip
    except (ImportError, AttributeError):
        yield
        return
    before = skip.value
    skip.value = True
    try:
        yield
    finally:
        skip.value = before


def job_numbers(fn: Any, args: tuple) -> list[Any]:
    """The number(s) a job computes: its first argument (every item of an executor.map chunk)."""
    if isinstance(fn, functools.partial):
        return job_numbers(fn.func, fn.args + args)
    if (
        getattr(fn, "__name__", None) == "_process_chunk"
        and len(args) == 2
        and isinstance(args[1], tuple)
    ):
        return [item[0] for item in args[1] if item]
    return list(args[:1])


def describe_work(fn: Any, args: tuple, kwargs: dict) -> str:
    """A job as the learner wrote it: ``count_primes(7000)``, also through partial or executor.map."""
    name = getattr(fn, "__name__", None)
    if isinstance(fn, functools.partial):
        return describe_work(fn.func, fn.args + args, {**fn.keywords, **kwargs})
    if name == "_process_chunk" and len(args) == 2 and isinstance(args[1], tuple):
        # one chunk of executor.map: its items
        return ", ".join(describe_work(args[0], item, {}) for item in args[1])
    shown = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    return f"{name or type(fn).__name__}({', '.join(shown)})"


class PoolWatch:
    """Records every process pool, job, shutdown and local count_primes call while active."""

    def __init__(self, learner: Any) -> None:
        self.learner = learner
        self.files = learner.files
        self.pid = os.getpid()
        # the harness runs the loop in the check's own thread
        self.loop_thread = threading.get_ident()
        self.pools: list[PoolRecord] = []
        self.local: list[LocalCall] = []
        self.blocking_waits: list[tuple[str, Location | None]] = []
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        # set when a job is submitted: wakes the heartbeat
        self.busy: asyncio.Event | None = None

    def wake(self) -> None:
        if self.loop is None or self.busy is None:
            return
        if self.on_loop():
            self.busy.set()
        else:
            self.loop.call_soon_threadsafe(self.busy.set)

    # what the checks read
    @property
    def jobs(self) -> list[Job]:
        return [job for record in self.pools for job in record.jobs]

    def made_by(self, who: str) -> list[PoolRecord]:
        return [r for r in self.pools if r.made_by == who]

    def on_loop(self) -> bool:
        if threading.get_ident() != self.loop_thread:
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def record_of(
        self, pool: ProcessPoolExecutor, made_by: str = "before"
    ) -> PoolRecord:
        with self._lock:
            for record in self.pools:
                if record.pool is pool:
                    return record
            record = PoolRecord(
                len(self.pools) + 1, made_by, getattr(pool, "_max_workers", None), pool
            )
            record.remember()
            self.pools.append(record)
            return record

    # the wrappers
    def __enter__(self) -> Self:
        # the learner's module is imported before the watch starts: a pool it makes at import
        # is one "before" the call, not one the function made (nor one to stop at the end)
        with contextlib.suppress(CheckFailed):
            self.learner.module  # noqa: B018
        cls = ProcessPoolExecutor
        init, submit, shutdown = cls.__init__, cls.submit, cls.shutdown
        watch = self
        making = threading.local()

        def watched_init(pool: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> None:
            context = (
                kwargs.get("mp_context", args[1] if len(args) > 1 else None)
                or multiprocessing.get_context()
            )
            if (
                context.get_start_method() != "fork"
                and len(args) < 3
                and kwargs.get("initializer") is None
            ):
                # a fresh worker cannot import the learner's module by name: load it by path first
                kwargs["initializer"] = loader(watch.learner)
            # (a spawn context starts its resource tracker here)
            with blockbuster_paused():
                init(pool, *args, **kwargs)
            watch.record_of(pool, getattr(making, "who", "learner"))

        def watched_submit(
            pool: ProcessPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any
        ) -> concurrent.futures.Future:
            record = watch.record_of(pool)
            text = describe_work(fn, args, kwargs)
            outer = TracedFuture(watch, text)
            with watch._lock:
                running = sum(not job.future.done() for job in watch.jobs)
                job = Job(
                    record, text, job_numbers(fn, args), watch.on_loop(), running, outer
                )
            traced = functools.partial(
                eval, TRACE, {"fn": fn, "args": args, "kwargs": kwargs}
            )
            if job.in_loop and not _refuses(pool):
                watch.submitter.put(
                    pool, traced, job
                )  # the loop's thread never waits on it
            else:  # from another thread, or a refusal to raise here, as the pool itself would
                watch.submitter.hand(pool, traced, job)
            record.jobs.append(job)
            if job.in_loop:
                job.waiter = _announce(job.gate)
            watch.wake()
            return outer

        def watched_shutdown(
            pool: ProcessPoolExecutor,
            wait: bool = True,
            *,
            cancel_futures: bool = False,
        ) -> None:
            record = watch.record_of(pool)
            watch.submitter.drain()  # jobs handed over before the shutdown reach the pool first
            record.remember()
            running = sum(_still_out(job) for job in record.jobs)
            record.shutdowns.append(Shutdown(bool(wait), running, watch.on_loop()))
            if wait and watch.on_loop() and not running:
                # every job is done: only the workers' exit is left to wait for, which the
                # check does after the call (with a spawned worker still starting, that can
                # take longer than the jobs did; the end of a `with` block is not at fault)
                # (its lock, shared with the pool's manager thread, is the pool's bookkeeping)
                with blockbuster_paused():
                    shutdown(pool, wait=False, cancel_futures=cancel_futures)
                return
            if wait and watch.on_loop() and _unwinding():
                # the check stopped a call that never finished: don't wait for its jobs too
                with blockbuster_paused():
                    shutdown(pool, wait=False, cancel_futures=True)
                    _kill(record)
                return
            with blockbuster_paused():
                shutdown(pool, wait=wait, cancel_futures=cancel_futures)

        cls.__init__, cls.submit, cls.shutdown = (
            watched_init,
            watched_submit,
            watched_shutdown,
        )
        self._undo.append(lambda: setattr(cls, "__init__", init))
        self._undo.append(lambda: setattr(cls, "submit", submit))
        self._undo.append(lambda: setattr(cls, "shutdown", shutdown))
        self._shutdown, self._submit = shutdown, submit
        self._making = making
        self.submitter = Submitter(submit)
        self._install_work()
        return self

    def check_pool(
        self, workers: int = WORKERS, *, start: bool = True
    ) -> ProcessPoolExecutor:
        """The executor a check hands to crunch_all (watched like any other), its workers
        started beforehand: the learner's call pays for its jobs, not for starting processes."""
        self._making.who = "check"
        try:
            pool = ProcessPoolExecutor(max_workers=workers)
        finally:
            self._making.who = "learner"
        for started in [
            self._submit(pool, int) for _ in range(workers if start else 0)
        ]:
            started.result()
        return pool

    def _install_work(self) -> None:
        try:
            module = self.learner.module
        except CheckFailed:
            return  # the run reports it
        original = getattr(module, "count_primes", None)
        if not callable(original):
            return
        watch = self

        def count_primes(limit: Any, *args: Any, **kwargs: Any) -> int:
            if os.getpid() == watch.pid:
                where = learner_location(sys._getframe(1), watch.files)
                watch.local.append(LocalCall(limit, watch.on_loop(), where))
            return reference_count(limit)

        count_primes.__module__ = module.__name__  # pickled by name, like the learner's
        count_primes.__qualname__ = "count_primes"
        module.count_primes = count_primes
        self._undo.append(lambda: setattr(module, "count_primes", original))

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._undo):
            undo()
        self.submitter.close()
        for record in self.pools:
            if record.made_by != "before":  # a pool made at import is the learner's
                _stop(record, self._shutdown)


class _Handing(concurrent.futures.Executor):
    """An "executor" whose only job is already submitted: it hands back that job's future."""

    def __init__(self, future: concurrent.futures.Future) -> None:
        self.future = future

    def submit(
        self, fn: Any, /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        return self.future


def _announce(future: concurrent.futures.Future) -> asyncio.Future:
    """Tell the virtual-time loop that a job is running in another process.

    looptime moves its clock with real time while a future made by loop.run_in_executor is
    pending; any other pending future (asyncio.wrap_future(executor.submit(...)) awaits one)
    is invisible to it, so the clock would jump to the next timer. Passing the job through
    run_in_executor makes every correct way of awaiting it behave the same. ``future`` is the
    job's gate, done only after the learner's own future got the answer: the loop's clock
    cannot jump in between.
    """
    waiter = asyncio.get_running_loop().run_in_executor(_Handing(future), int)
    waiter.add_done_callback(
        lambda f: f.cancelled() or f.exception()  # read: never "never retrieved"
    )
    return waiter


def _settle(job: Job, inner: concurrent.futures.Future) -> None:
    """The worker's answer reaches the learner's future, then (last) the job's gate."""
    try:
        _hand_over(job, inner)
    finally:
        # after every callback of the learner's future has run
        job.gate.set_result(None)


def _hand_over(job: Job, inner: concurrent.futures.Future) -> None:
    outer = job.future
    if inner.cancelled():
        outer.cancel()
        return
    error = inner.exception()
    if outer.cancelled():
        return
    if error is not None:
        outer.set_exception(error)
        return
    job.pid, value = inner.result()
    outer.set_result(value)


def _refuses(pool: ProcessPoolExecutor) -> bool:
    """The pool takes no more work (shut down or broken): its submit raises at once."""
    return bool(
        getattr(pool, "_shutdown_thread", False) or getattr(pool, "_broken", False)
    )


def _still_out(job: Job) -> bool:
    """The job is queued or running in a worker (a pool's own future is done before the
    learner's; a job that could not be submitted has its gate done)."""
    if job.gate.done():
        return False
    return job.inner is None or not job.inner.done()


class Submitter:
    """Hands the jobs submitted on the loop's thread to their pools from a thread of its own,
    in order. A pool's first job starts its worker processes and its manager thread: the
    pool's own bookkeeping, which on a busy machine can keep a thread waiting for half a
    second. The loop's thread must not: the watchdog would blame the learner's step."""

    def __init__(self, submit: Callable[..., concurrent.futures.Future]) -> None:
        self._submit = submit
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._waiting = 0
        self._idle = threading.Condition()
        self._thread = threading.Thread(
            target=self._serve, name="awaitlings-submitter", daemon=True
        )
        self._thread.start()

    def put(self, pool: ProcessPoolExecutor, traced: Any, job: Job) -> None:
        with self._idle:
            self._waiting += 1
        self._jobs.put((pool, traced, job))

    def hand(self, pool: ProcessPoolExecutor, traced: Any, job: Job) -> None:
        """Submit now, in this thread; the pool's refusal is raised to the caller."""
        if job.future.cancelled():
            job.gate.set_result(None)
            return
        try:
            with blockbuster_paused():
                inner = self._submit(pool, traced)
        except BaseException:
            job.gate.set_result(None)
            raise
        job.inner = inner
        job.pool.remember()  # its first job started its workers and manager thread
        inner.add_done_callback(functools.partial(_settle, job))
        job.future.add_done_callback(
            lambda f: inner.cancel() if f.cancelled() else None
        )

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            pool, traced, job = item
            try:
                self.hand(pool, traced, job)
            # the pool broke meanwhile: the learner's future says so
            except Exception as error:  # noqa: BLE001
                if not job.future.done():
                    job.future.set_exception(error)
            finally:
                with self._idle:
                    self._waiting -= 1
                    self._idle.notify_all()

    def drain(self, timeout: float = 10.0) -> None:
        with blockbuster_paused(), self._idle:
            self._idle.wait_for(lambda: self._waiting == 0, timeout)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(5.0)


def _unwinding() -> bool:
    """The current task is being cancelled (the harness stops a call at the loop-time limit)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _kill(record: PoolRecord, patience: float = 0.0) -> None:
    """Give the pool's workers ``patience`` seconds to exit, then kill them; then its manager
    thread ends (a stuck one would hold the interpreter's exit)."""
    deadline = time.monotonic() + patience
    for process in list(record.processes.copy().values()):
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)
    if record.manager is not None:
        record.manager.join(1.0)


def _stop(record: PoolRecord, shutdown: Callable[..., None]) -> None:
    """Shut a pool down without waiting on a stuck worker: at most a second, then kill."""
    record.remember()
    shutdown(record.pool, wait=False, cancel_futures=True)
    _kill(record, patience=1.0)


# --- running the learner's code -----------------------------------------------------------


@dataclass
class Outcome:
    call: Any  # grader.learner.Call
    watch: PoolWatch
    # the heartbeat's ticks during the call (loop time)
    ticks: list[float] = field(default_factory=list)
    real: float = 0.0  # seconds of real time the call took (for messages only)

    @property
    def text(self) -> str:
        return self.call.text


def run_crunch_all(learner: Any, numbers: list[int]) -> Outcome:
    text = f"crunch_all({numbers}, executor)"
    with PoolWatch(learner) as watch:
        executor = watch.check_pool(start=bool(numbers))
        return _run(learner, "crunch_all", text, watch, lambda f: f(numbers, executor))


def run_crunch_batches(
    learner: Any, batches: list[list[int]], workers: int = WORKERS
) -> Outcome:
    text = f"crunch_batches({batches}, workers={workers})"
    with PoolWatch(learner) as watch:
        return _run(
            learner, "crunch_batches", text, watch, lambda f: f(batches, workers)
        )


def _run(
    learner: Any, name: str, text: str, watch: PoolWatch, start: Callable
) -> Outcome:
    """Run the learner's function with a heartbeat task on the same loop.

    The heartbeat sleeps until a job is sent to a pool, then ticks once and sleeps again. A
    tick is a step the loop ran besides the learner's own: a loop that awaits its jobs lets
    it tick at least once, always; one frozen by the learner's code until the jobs are done
    never does. No clock decides it, and no timer of the check moves the virtual clock: a
    job that never ends meets the loop-time limit after LIMIT seconds of real waiting.
    """
    ticks: list[float] = []
    calling: list[bool] = [False]
    real: list[float] = []

    async def scenario(function: Callable) -> Any:
        loop = asyncio.get_running_loop()

        async def beat() -> None:
            while True:
                await watch.busy.wait()
                watch.busy.clear()
                if calling[0]:
                    ticks.append(loop.time())

        watch.loop, watch.busy = loop, asyncio.Event()
        beating = asyncio.create_task(beat())
        await asyncio.sleep(0)
        calling[0] = True
        real0 = time.perf_counter()
        try:
            return await start(function)
        finally:
            calling[0] = False
            real.append(time.perf_counter() - real0)
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    try:
        call = learner.run_scenario(name, scenario, text=text, limit=LIMIT)
    except CheckFailed:
        explain(text, watch, ticks, raised=True, real=real[0] if real else 0.0)
        # a thread pool's exit (joining its threads) is what the harness saw; threads are the mistake
        in_threads(text, watch)
        raise
    outcome = Outcome(call, watch, ticks, real[0] if real else 0.0)
    explain(text, watch, ticks, raised=call.run.error is not None, real=outcome.real)
    return outcome


def explain(
    text: str, watch: PoolWatch, ticks: list[float], *, raised: bool, real: float
) -> None:
    """Fail on what froze the event loop, whatever the harness noticed first: the learner
    computed in the loop's thread, waited with .result(), shut a pool down while its jobs
    ran, or otherwise never let the loop run while its jobs were out."""
    in_loop = [c for c in watch.local if c.in_loop]
    if in_loop:
        where = f" at {in_loop[0].where}" if in_loop[0].where else ""
        raise CheckFailed(
            f"Called {text}. It computed count_primes({short(in_loop[0].limit)}){where} itself, in the event "
            f"loop's own thread ({len(in_loop)} call(s)): while it computes, the loop is frozen, no other "
            "coroutine runs, and the executor's worker processes sit idle.",
            RUN_IN_EXECUTOR,
        )
    if watch.blocking_waits:
        job, where = watch.blocking_waits[0]
        raise CheckFailed(
            f"Called {text}. It waited for the result of {job} with .result()"
            f"{f' at {where}' if where else ''}, on the event loop's thread: .result() of a concurrent "
            "future blocks the thread until the job is done, so the loop was frozen meanwhile.",
            "Await the job instead: `await loop.run_in_executor(executor, count_primes, n)` (or "
            "`await asyncio.wrap_future(executor.submit(count_primes, n))`).",
        )
    frozen = [
        s
        for r in watch.pools
        for s in r.shutdowns
        if s.wait and s.in_loop and s.running
    ]
    # after a failure, the end of a `with` block rightly waits for the jobs still out
    if frozen and not raised:
        raise CheckFailed(
            f"Called {text}. It shut its pool down (shutdown(wait=True), which is what the end of a `with` "
            f"block calls) while {frozen[0].running} job(s) were still running: shutdown(wait=True) blocks "
            "until they finish, and the event loop was frozen meanwhile.",
            "Await every result inside the `with` block, before it ends: `await crunch_all(batch, pool)`.",
        )
    if any(job.in_loop for job in watch.jobs) and not ticks:
        raise CheckFailed(
            f"Called {text}, with a heartbeat task on the same loop that runs each time a job is sent to a "
            f"pool. During the {real:.2f} s the call took, the heartbeat never got to run: the event loop was "
            "frozen until the jobs were done.",
            "Don't wait for the jobs in a blocking way (future.result(), executor.map, concurrent.futures.wait, "
            "a loop polling future.done()): await them. " + RUN_IN_EXECUTOR,
        )


# ~50 ms of work. The first number takes 20 times longer than the second: results that come
# back in the order they finish are never in the order of the numbers.
NUMBERS = [20000, 2000, 12000, 5000, 300, 7000]
# The order check's own run: 10 numbers. Futures read from a set (asyncio.wait's `done`) come
# out in the order they were made by chance: six of them about once in 200 runs on 3.12
# (measured), ten never seen.
ORDERED = [*NUMBERS, 9000, 100, 4000, 1500]
# Equal numbers within a batch: the order of a batch's counts cannot depend on timing. The
# empty batch is crunch_all's empty case.
BATCHES = [[4000, 4000], [], [1500], [6000, 6000, 6000]]
FAILING = [[3000, 1000], [2000, -1, 500]]  # count_primes(-1) raises ValueError
SCENARIOS: dict[str, Callable[[Any], Outcome]] = {
    "numbers": lambda learner: run_crunch_all(learner, NUMBERS),
    "ordered": lambda learner: run_crunch_all(learner, ORDERED),
    "batches": lambda learner: run_crunch_batches(learner, BATCHES, workers=3),
    "failing": lambda learner: run_crunch_batches(learner, FAILING),
}
_observed: dict[tuple[str, str], Outcome | CheckFailed] = {}


def observe(learner: Any, scenario: str) -> Outcome:
    """What one run of a scenario showed. Checks that read the same scenario share its run
    (each process pool costs tens of milliseconds to start); a failure found while it ran
    fails each of them with the same message."""
    key = (str(learner.path), scenario)
    if key not in _observed:
        try:
            _observed[key] = SCENARIOS[scenario](learner)
        except CheckFailed as failure:
            _observed[key] = failure
        except BaseException as error:
            # stopped at the real-time limit: never run it again
            if is_time_limit(error):
                function = "crunch_all" if scenario == "numbers" else "crunch_batches"
                _observed[key] = CheckFailed(
                    messages.STUCK_BEFORE.format(function=function)
                )
            raise
    found = _observed[key]
    if isinstance(found, CheckFailed):
        raise CheckFailed(found.message, found.advice, found.detail)
    return found


def result_of(outcome: Outcome) -> Any:
    """The returned value; a pickling error or a refused job gets its explanation."""
    error = outcome.call.run.error
    if error is not None:
        text = str(error)
        if "pickle" in text.lower() or "Can't get local object" in text:
            raise CheckFailed(
                f"Called {outcome.text}. It raised {error_text(error)}.", PICKLE
            )
        if isinstance(error, RuntimeError) and "after shutdown" in text:
            raise CheckFailed(
                f"Called {outcome.text}. It raised {error_text(error)} at {outcome.call.where(error)}.",
                AFTER_SHUTDOWN,
            )
    return outcome.call.result()


def expect_counts(outcome: Outcome, expected: list[Any], what: str) -> None:
    got = result_of(outcome)
    if (
        type(got) is not list
        or len(got) != len(expected)
        or any(type(g) is not int for g in _flat(got))
    ):
        kind = type(got).__name__
        raise CheckFailed(
            f"Called {outcome.text}. It returned {short(got)} ({kind}); expected a list of {what}: {short(expected)}.",
            "gather returns a list of the results in the order you passed the jobs: return it."
            if got is None or kind != "list"
            else None,
        )
    if not expect.same(got, expected):
        if sorted(_flat(got)) == sorted(_flat(expected)):
            raise CheckFailed(
                f"Called {outcome.text}. It returned the right counts in the wrong order: {short(got)}, "
                f"expected {short(expected)} (one count per number, in the order of the numbers).",
                "asyncio.gather returns results in the order you pass the awaitables, whatever order they finish in.",
            )
        raise CheckFailed(
            f"Called {outcome.text}. It returned {short(got)}, expected {what} {short(expected)}."
        )


def _flat(values: Any) -> list[Any]:
    out = []
    for value in values if isinstance(values, list) else [values]:
        out.extend(_flat(value) if isinstance(value, list) else [value])
    return out


def in_threads(text: str, watch: PoolWatch) -> None:
    """Fail when count_primes ran in threads of the loop's process (to_thread, a thread pool)."""
    threaded = [c for c in watch.local if not c.in_loop]
    if threaded:
        where = f" (called at {threaded[0].where})" if threaded[0].where else ""
        raise CheckFailed(
            f"Called {text}. count_primes ran {len(threaded)} time(s) in threads of the event loop's own "
            f"process {watch.pid}{where}: asyncio.to_thread or run_in_executor(None, ...) use threads, and so does "
            "a ThreadPoolExecutor. Pure-Python computation holds the GIL, so threads take turns instead of running "
            "at the same time, and each turn slows the loop down too.",
            "Use processes: crunch_batches creates a ProcessPoolExecutor, not a ThreadPoolExecutor. "
            + ONE_POOL
            if text.startswith("crunch_batches")
            else "Use processes: the executor you are given is a ProcessPoolExecutor. "
            + RUN_IN_EXECUTOR,
        )


def expect_worker_processes(outcome: Outcome, numbers: list[int]) -> None:
    """Every number went to a process pool, and nothing was computed in the loop's process."""
    # an exception (a job that could not be pickled, ...) is the first thing to fix
    result_of(outcome)
    watch = outcome.watch
    in_threads(outcome.text, watch)
    jobs = [job for job in watch.jobs if job.pid is not None]
    if not watch.jobs:
        raise CheckFailed(
            f"Called {outcome.text}. It never sent a job to a process pool: count_primes must run in the "
            "pool's worker processes, not in the event loop's process.",
            RUN_IN_EXECUTOR,
        )
    if not jobs:
        raise CheckFailed(
            f"Called {outcome.text}. None of its {len(watch.jobs)} job(s) finished in a worker process.",
            RUN_IN_EXECUTOR,
        )
    own = [job for job in jobs if job.pid == watch.pid]
    # cannot happen with a real pool; kept so that the verdict rests on the process ids
    if own:
        raise CheckFailed(
            f"Called {outcome.text}. {own[0].work} ran in the loop's own process {watch.pid}.",
            RUN_IN_EXECUTOR,
        )


# --- crunch_all ----------------------------------------------------------------------------


@pytest.mark.points(1)
def test_crunch_all_returns_the_counts_in_order(learner):
    """crunch_all returns one count per number, in the order of the numbers"""
    outcome = observe(learner, "ordered")
    expect_counts(outcome, expected_counts(ORDERED), "counts")


@pytest.mark.points(2)
def test_crunch_all_runs_the_work_in_worker_processes(learner):
    """crunch_all runs count_primes in the executor's worker processes, not in the loop's process"""
    outcome = observe(learner, "numbers")
    expect_worker_processes(outcome, NUMBERS)
    expect_counts(outcome, expected_counts(NUMBERS), "counts")


@pytest.mark.points(1)
def test_crunch_all_uses_the_executor_it_is_given(learner):
    """crunch_all sends every number to the executor it is given, and leaves it open"""
    outcome = observe(learner, "numbers")
    expect_given_executor(outcome)
    expect_counts(outcome, expected_counts(NUMBERS), "counts")


def expect_given_executor(outcome: Outcome) -> None:
    """One count_primes job per number went to the check's executor, and nowhere else."""
    watch = outcome.watch
    made = watch.made_by("learner")
    given = watch.made_by("check")[0]
    if made:
        per = " (one per number)" if len(made) == len(NUMBERS) else ""
        raise CheckFailed(
            f"Called {outcome.text}. It created {len(made)} new ProcessPoolExecutor(s){per} instead of using the "
            f"executor it was given: every new pool starts its worker processes from scratch.",
            "Don't make pools in crunch_all. " + RUN_IN_EXECUTOR,
        )
    expect_worker_processes(outcome, NUMBERS)
    elsewhere = [job for job in watch.jobs if job.pool is not given]
    if elsewhere:
        raise CheckFailed(
            f"Called {outcome.text}. {len(elsewhere)} job(s) went to a process pool made before the call, "
            "not to the executor it was given.",
            RUN_IN_EXECUTOR,
        )
    sent = sorted(n for job in given.jobs for n in job.numbers)
    if not expect.same(sent, sorted(NUMBERS)):
        raise CheckFailed(
            f"Called {outcome.text}. The executor was given jobs for {short(sent)}; expected one "
            f"count_primes(n) job per number: {short(sorted(NUMBERS))}.",
            RUN_IN_EXECUTOR,
        )
    if given.shutdowns:
        raise CheckFailed(
            f"Called {outcome.text}. It shut down the executor it was given: whoever created a pool shuts it "
            "down, and crunch_batches reuses its pool for the next batch.",
            AFTER_SHUTDOWN,
        )


@pytest.mark.points(1)
def test_crunch_all_hands_out_every_number_before_waiting(learner):
    """crunch_all gives the pool every number before waiting for a result, so all workers compute"""
    outcome = observe(learner, "numbers")
    expect_counts(outcome, expected_counts(NUMBERS), "counts")
    expect_worker_processes(outcome, NUMBERS)
    jobs = outcome.watch.jobs
    if len(jobs) >= 2 and all(job.running_before == 0 for job in jobs):
        raise CheckFailed(
            f"Called {outcome.text}. It sent the {len(jobs)} numbers to the pool one at a time, each after the "
            "previous result had come back: one worker computed while the other sat idle.",
            f"Start every job before awaiting any: {GATHER_JOBS}.",
        )


@pytest.mark.points(2)
def test_crunch_all_keeps_the_event_loop_responsive(learner):
    """While crunch_all computes, the event loop keeps running other coroutines (a heartbeat runs)"""
    outcome = observe(learner, "numbers")
    expect_counts(outcome, expected_counts(NUMBERS), "counts")
    expect_given_executor(outcome)
    # explain() has already failed a frozen loop; this is the verdict of record
    if len(outcome.ticks) < MIN_TICKS:
        raise CheckFailed(
            f"Called {outcome.text}. A heartbeat task on the same loop never got to run while the jobs were out: "
            "the event loop was frozen until they were done.",
            RUN_IN_EXECUTOR,
        )


# --- crunch_batches ------------------------------------------------------------------------


@pytest.mark.points(1)
def test_crunch_batches_returns_each_batch(learner):
    """crunch_batches returns the counts of every batch, in order, computed in worker processes"""
    outcome = observe(learner, "batches")
    expect_counts(
        outcome, [expected_counts(batch) for batch in BATCHES], "counts per batch"
    )
    expect_worker_processes(outcome, [n for batch in BATCHES for n in batch])


@pytest.mark.points(2)
def test_crunch_batches_uses_one_pool_for_all_batches(learner):
    """crunch_batches creates one ProcessPoolExecutor of `workers` processes and reuses it for every batch"""
    outcome = observe(learner, "batches")
    result_of(outcome)
    watch = outcome.watch
    made = watch.made_by("learner")
    before = watch.made_by("before")
    if not made and before:
        raise CheckFailed(
            f"Called {outcome.text}. It used a process pool made before the call (at import?) instead of "
            "creating its own: crunch_batches owns its pool, from creation to shutdown.",
            ONE_POOL,
        )
    if not made:
        expect_worker_processes(outcome, [])
        raise CheckFailed(
            f"Called {outcome.text}. It never created a ProcessPoolExecutor.", ONE_POOL
        )
    if len(made) > 1:
        count = sum(len(batch) for batch in BATCHES)
        per = (
            " (one per batch)"
            if len(made) == len(BATCHES)
            else " (one per number)"
            if len(made) == count
            else ""
        )
        raise CheckFailed(
            f"Called {outcome.text}. It created {len(made)} ProcessPoolExecutors for {len(BATCHES)} batches{per}: "
            "each new pool starts its worker processes again, which costs more than small jobs take.",
            ONE_POOL,
        )
    pool = made[0]
    if not expect.same(pool.workers, 3):
        raise CheckFailed(
            f"Called {outcome.text}. Its pool has {pool.workers} worker processes; expected `workers`, 3.",
            "Create it with `ProcessPoolExecutor(max_workers=workers)`.",
        )
    expect_worker_processes(outcome, [n for batch in BATCHES for n in batch])
    sent = sorted(n for job in pool.jobs for n in job.numbers)
    wanted = sorted(n for batch in BATCHES for n in batch)
    if not expect.same(sent, wanted):
        raise CheckFailed(
            f"Called {outcome.text}. Its pool was given jobs for {short(sent)}; expected one "
            f"count_primes(n) job per number of every batch: {short(wanted)}.",
            ONE_POOL,
        )
    expect_counts(
        outcome, [expected_counts(batch) for batch in BATCHES], "counts per batch"
    )


def expect_shut_down(outcome: Outcome, *, after_error: bool) -> None:
    watch = outcome.watch
    pools = watch.made_by("learner") + [r for r in watch.made_by("before") if r.jobs]
    if not pools:
        raise CheckFailed(
            f"Called {outcome.text}. It never created a ProcessPoolExecutor.", ONE_POOL
        )
    open_pools = [r for r in pools if not r.shutdowns]
    if open_pools:
        which = (
            "its pool was"
            if len(pools) == 1
            else f"{len(open_pools)} of its {len(pools)} pools were"
        )
        what = (
            "The ValueError of count_primes(-1) came out"
            if after_error
            else "It returned"
        )
        raise CheckFailed(
            f"Called {outcome.text}. {what}, but {which} never shut down: the worker processes "
            "stay alive, holding memory, until the program exits.",
            SHUTDOWN,
        )


@pytest.mark.points(2)
def test_crunch_batches_shuts_down_its_pool(learner):
    """crunch_batches shuts its pool down before it returns, once every result is in"""
    outcome = observe(learner, "batches")
    result_of(outcome)
    expect_shut_down(outcome, after_error=False)
    expect_counts(
        outcome, [expected_counts(batch) for batch in BATCHES], "counts per batch"
    )


@pytest.mark.points(1)
def test_crunch_batches_shuts_down_when_a_batch_fails(learner):
    """crunch_batches lets a batch's error out, and still shuts its pool down"""
    outcome = observe(learner, "failing")
    error = outcome.call.run.error
    if error is None:
        raise CheckFailed(
            f"Called {outcome.text}, where count_primes(-1) raises ValueError. It returned "
            f"{short(outcome.call.run.value)} instead of raising: the error was swallowed.",
            "Let it out: don't catch it in crunch_all or crunch_batches (await re-raises the job's exception).",
        )
    if not _contains(error, ValueError):
        result_of(outcome)  # explains a pickling error or a refused job
        raise CheckFailed(
            f"Called {outcome.text}. Expected the ValueError raised by count_primes(-1) to propagate; it raised "
            f"{error_text(error)} at {outcome.call.where(error)} instead."
        )
    expect_shut_down(outcome, after_error=True)


def _contains(error: BaseException, kind: type) -> bool:
    return issubclass(type(error), kind) or any(_contains(e, kind) for e in members(error))
