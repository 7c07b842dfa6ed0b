"""Visible tests of exercise 12. Run them with: pytest exercises/12_cpu_bound

The work really runs in worker processes here: the tests hand crunch_all a real
ProcessPoolExecutor. While your function runs they note every pool created, every job
sent to a pool and every shutdown, and every count_primes call made in the test's own
process (the event loop's process, where it must not run). A heartbeat task on the same
event loop shows whether the loop stayed free while the workers computed.
"""

import asyncio
import contextlib
import functools
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from grader.failure import CheckFailed

GATHER = (
    "`loop = asyncio.get_running_loop()`, then "
    "`await asyncio.gather(*(loop.run_in_executor(executor, count_primes, n) for n in numbers))`."
)
# The tests load your module under a name of their own: a worker process that starts afresh
# (not forked, as on macOS and Windows) runs this first, so it can find count_primes.
LOAD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location(name, path)
sys.modules[name] = module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""
LIMIT = 5.0  # seconds of loop time before a call counts as stuck (yours take well under 0.1 s)
# seconds of real time a job may run in a worker process before the test stops the pool: the counts
# here take a few milliseconds each, so only a job that never ends waits this out
STUCK = 4.0
PRIMES_BELOW = {
    20000: 2262, 2000: 303, 12000: 1438, 5000: 669, 300: 62,
    7000: 900, 9000: 1117, 100: 25, 4000: 550, 1500: 239, 3000: 430, 1000: 168,
}
HANG_CAUSES = (
    "a job that never ends in a worker process (count_primes is given: hand the pool count_primes itself, "
    "not a function of your own whose loop may never finish)",
    "a future that nothing ever completes",
    "a missing await",
)
WITH_BLOCK = (
    "`with ProcessPoolExecutor(max_workers=workers) as pool:` around the loop over the batches, and "
    "`await crunch_all(batch, pool)` inside it."
)


def default_workers():
    """How many processes ProcessPoolExecutor() starts when it is not told: one per CPU."""
    return (getattr(os, "process_cpu_count", None) or os.cpu_count)() or 1


# crunch_batches is asked for a number of workers that differs from the default: a pool that
# ignores `workers` shows it on every machine
WORKERS = 3 if default_workers() != 3 else 4


def check(condition, text, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {text}. {saw}; expected {expected}.", advice)


@contextlib.contextmanager
def pool_bookkeeping():
    """The pool's own short waits (starting a helper process, a lock it shares with its manager
    thread, joining its workers at shutdown once the jobs are done) are not blocking calls of
    yours: the blocking-call detector looks away while they run."""
    try:
        from blockbuster import blockbuster

        skip = blockbuster._skip
    except (ImportError, AttributeError):
        yield
        return
    before, skip.value = skip.value, True
    try:
        yield
    finally:
        skip.value = before


@contextlib.contextmanager
def watching(learner):
    """Note each pool made, each job submitted, each shutdown, and each count_primes call in
    this process, while the block runs (undone at its end)."""
    seen = {
        "pools": [],
        "jobs": [],
        "shutdowns": [],
        "here": [],
        "workers": [],
        "waiting": [],  # at each job sent: the earlier jobs of its pool not done yet
        "max_workers": [],  # of each pool made
        "frozen": [],  # at each shutdown(wait=True) on the loop's thread: its jobs not done yet
        "on_submit": lambda: None,
    }
    module = learner.module
    original = module.count_primes
    init, submit, shutdown = (
        ProcessPoolExecutor.__init__,
        ProcessPoolExecutor.submit,
        ProcessPoolExecutor.shutdown,
    )
    test_pid = os.getpid()
    loop_thread = threading.get_ident()

    # a worker process runs a copy of it too: it notes only the calls made in this process
    def count_primes(limit):
        if os.getpid() == test_pid:
            seen["here"].append(limit)
        return original(limit)

    def watched_init(pool, *args, **kwargs):
        context = (
            kwargs.get("mp_context", args[1] if len(args) > 1 else None)
            or multiprocessing.get_context()
        )
        if (
            context.get_start_method() != "fork"
            and len(args) < 3
            and kwargs.get("initializer") is None
        ):
            # a fresh worker (macOS, Windows) first imports your module by its path
            kwargs["initializer"] = functools.partial(
                exec, LOAD, {"name": module.__name__, "path": str(learner.path)}
            )
        with pool_bookkeeping():
            init(pool, *args, **kwargs)
        seen["pools"].append(pool)
        seen["workers"].append(pool._processes)  # the pool forgets it when shut down
        seen["max_workers"].append(pool._max_workers)

    def watched_submit(pool, fn, /, *args, **kwargs):
        seen["on_submit"]()
        seen["waiting"].append(sum(1 for p, _, earlier in seen["jobs"] if p is pool and not earlier.done()))
        with pool_bookkeeping():
            future = submit(pool, fn, *args, **kwargs)
        seen["jobs"].append((pool, job_numbers(fn, args), future))
        return future

    def watched_shutdown(pool, wait=True, *, cancel_futures=False):
        seen["shutdowns"].append(pool)
        out = sum(1 for p, _, future in seen["jobs"] if p is pool and not future.done())
        if not out:
            wait = False  # nothing left to wait for but the workers' exit: the test waits for that
        elif wait and threading.get_ident() == loop_thread:
            seen["frozen"].append(out)  # the loop's thread waits here until those jobs are done
        with pool_bookkeeping():
            return shutdown(pool, wait=wait, cancel_futures=cancel_futures)

    count_primes.__module__, count_primes.__qualname__ = module.__name__, "count_primes"
    module.count_primes = count_primes
    ProcessPoolExecutor.__init__ = watched_init
    ProcessPoolExecutor.submit = watched_submit
    ProcessPoolExecutor.shutdown = watched_shutdown
    try:
        yield seen
    finally:
        module.count_primes = original
        (
            ProcessPoolExecutor.__init__,
            ProcessPoolExecutor.submit,
            ProcessPoolExecutor.shutdown,
        ) = init, submit, shutdown
        deadline = time.monotonic() + 1.0
        for pool, workers in zip(seen["pools"], seen["workers"]):
            shutdown(pool, wait=False, cancel_futures=True)
            for process in list(workers.copy().values()):
                # a job that never ends is stopped here
                process.join(max(0.0, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(1.0)


def job_numbers(fn, args):
    """The numbers a job computes: its first argument, also through functools.partial
    (submit(partial(count_primes, n))) and for a chunk of executor.map (every item of it)."""
    while isinstance(fn, functools.partial):
        fn, args = fn.func, fn.args + args
    if getattr(fn, "__name__", None) == "_process_chunk" and len(args) == 2 and isinstance(args[1], tuple):
        return [item[0] for item in args[1] if item]
    return list(args[:1])


def run_crunch_all(learner, numbers):
    """crunch_all(numbers, executor) with a pool of 2 processes, and a heartbeat task on the same
    loop: it wakes up when a job is sent to a pool and counts a tick each time the loop lets it run
    while crunch_all is still running."""
    ticks = []
    running = [False]

    async def scenario(crunch_all):
        loop = asyncio.get_running_loop()
        sent = asyncio.Event()
        seen["on_submit"] = lambda: loop.call_soon_threadsafe(sent.set)

        async def heartbeat():
            await sent.wait()
            while running[0]:
                ticks.append(loop.time())
                await asyncio.sleep(0.001)

        beat = asyncio.create_task(heartbeat())
        running[0] = True
        try:
            return await crunch_all(numbers, executor)
        finally:
            running[0] = False
            beat.cancel()

    with watching(learner) as seen:
        executor = ProcessPoolExecutor(max_workers=2)
        for started in [executor.submit(int) for _ in range(2)]:
            started.result()  # its worker processes are up before crunch_all is called
        seen["jobs"].clear()
        seen["waiting"].clear()
        text = f"crunch_all({numbers}, executor)"
        stuck = []

        def stop_endless_jobs():
            out = [n for pool, job, future in seen["jobs"] if pool is executor and not future.done() for n in job]
            if out:
                stuck.extend(out)
                for process in list(executor._processes.values()):
                    process.terminate()  # its jobs fail (BrokenProcessPool): crunch_all can end

        guard = threading.Timer(STUCK, stop_endless_jobs)
        guard.daemon = True
        guard.start()
        try:
            call = learner.run_scenario(
                "crunch_all", scenario, text=text, limit=LIMIT, hang_causes=HANG_CAUSES
            )
        finally:
            guard.cancel()
        check(
            not stuck,
            text,
            f"{len(stuck)} of its jobs (for {stuck}) had not finished after {STUCK:g} s of real time, though each "
            "of these counts takes a few milliseconds: a job that never ends holds its worker process (the test "
            "stopped the pool)",
            "every job to finish",
            "count_primes is given and right: hand the pool count_primes itself, "
            "`loop.run_in_executor(executor, count_primes, n)`, not a function of your own whose loop may never finish.",
        )
        return call, seen, executor, len(ticks)


def test_crunch_all_returns_the_counts(learner):
    """crunch_all returns one count per number, in the order of the numbers (10 numbers, up to 20000)"""
    # 10 numbers: counts read from a set (asyncio.wait's done set) come out in order by chance with a few;
    # 20000 and 12000: count_primes is given, and it counts big limits as well as small ones
    numbers = [20000, 2000, 12000, 5000, 300, 7000, 9000, 100, 4000, 1500]
    call, _, _, _ = run_crunch_all(learner, numbers)
    got = call.result()
    expected = [PRIMES_BELOW[n] for n in numbers]
    right = type(got) is list and len(got) == len(expected) and all(type(g) is int and g == e for g, e in zip(got, expected))
    shuffled = not right and isinstance(got, list) and sorted(map(repr, got)) == sorted(map(repr, expected))
    check(
        right,
        call.text,
        f"It returned {got!r}" + (": the right counts in the wrong order" if shuffled else ""),
        f"{expected!r}: count_primes(n) for each number, in order",
        f"asyncio.gather keeps the order of what you pass it, whatever order the jobs finish in (a set, like "
        f"asyncio.wait's done set, has no order at all): {GATHER}",
    )


def test_crunch_all_computes_in_worker_processes(learner):
    """crunch_all sends every number to the executor's processes, never computing in the loop's"""
    numbers = [3000, 1000, 2000]
    call, seen, executor, _ = run_crunch_all(learner, numbers)
    call.result()
    check(
        not seen["here"],
        call.text,
        f"count_primes ran in the event loop's own process for {seen['here']} (in the coroutine, "
        "or in a thread: asyncio.to_thread or run_in_executor(None, ...))",
        "every count computed by the executor's worker processes",
        f"Hand each number to the executor you are given: {GATHER}",
    )
    sent = sorted(
        n for pool, job, _ in seen["jobs"] if pool is executor for n in job
    )
    check(
        sent == sorted(numbers),
        call.text,
        f"The executor was given count_primes jobs for {sent}",
        f"one job per number: {sorted(numbers)}",
        f"Use the executor you are given, don't make your own pool: {GATHER}",
    )


def test_crunch_all_hands_out_every_number_before_waiting(learner):
    """crunch_all gives the pool every number before awaiting any result, so both workers compute"""
    numbers = [9000, 5000, 3000]
    call, seen, _, _ = run_crunch_all(learner, numbers)
    call.result()
    waiting = seen["waiting"]
    check(
        len(waiting) < 2 or any(waiting[1:]),
        call.text,
        f"It sent the {len(waiting)} numbers to the pool one at a time, each after the previous result had "
        "come back: one worker computed while the other sat idle",
        "every number handed to the pool before the first result is awaited",
        f"Start every job before awaiting any: {GATHER}",
    )


def test_crunch_all_keeps_the_event_loop_free(learner):
    """While the workers compute, the event loop keeps running other tasks (a heartbeat ticks)"""
    call, _, _, ticks = run_crunch_all(learner, [9000, 5000, 2000])
    call.result()
    check(
        ticks > 0,
        call.text,
        "A heartbeat task on the same loop never got to run while crunch_all waited for its jobs: the "
        "loop was frozen",
        "the loop to run other tasks while the workers compute",
        f"Await the jobs, don't wait for them with future.result() or executor.map: {GATHER}",
    )


def run_crunch_batches(learner, batches, workers):
    """crunch_batches(batches, workers), and a heartbeat task on the same loop: it wakes up each
    time a job is sent to a pool and counts a tick if crunch_batches is still running."""
    ticks = []
    running = [False]

    async def scenario(crunch_batches):
        loop = asyncio.get_running_loop()
        sent = asyncio.Event()
        seen["on_submit"] = lambda: loop.call_soon_threadsafe(sent.set)

        async def heartbeat():
            while True:
                await sent.wait()
                sent.clear()
                if running[0]:
                    ticks.append(loop.time())

        # with a timer due every 1 ms, the loop's virtual clock moves in small steps
        async def clock():
            while True:
                await asyncio.sleep(0.001)

        beats = [asyncio.create_task(heartbeat()), asyncio.create_task(clock())]
        running[0] = True
        try:
            return await crunch_batches(batches, workers)
        finally:
            running[0] = False
            for beat in beats:
                beat.cancel()

    with watching(learner) as seen:
        text = f"crunch_batches({batches}, {workers})"
        call = learner.run_scenario(
            "crunch_batches", scenario, text=text, limit=LIMIT, hang_causes=HANG_CAUSES
        )
        return call, seen, len(ticks)


def test_crunch_batches_uses_one_pool_and_shuts_it_down(learner):
    """crunch_batches crunches every batch through one pool of `workers` processes, shut down before it returns"""
    batches = [[3000, 1000], [2000], [5000, 9000]]
    call, seen, _ = run_crunch_batches(learner, batches, WORKERS)
    text = call.text
    got = call.result()
    expected = [[PRIMES_BELOW[n] for n in batch] for batch in batches]
    check(
        got == expected,
        text,
        f"It returned {got!r}",
        f"{expected!r}: one list of counts per batch",
    )
    check(
        len(seen["pools"]) == 1,
        text,
        f"It created {len(seen['pools'])} ProcessPoolExecutors",
        "exactly 1, used for every batch",
        WITH_BLOCK,
    )
    made = seen["max_workers"][0]
    check(
        made == WORKERS,
        text,
        f"Its pool has {made} worker processes (ProcessPoolExecutor() with no max_workers starts one per CPU)",
        f"`workers`, {WORKERS}: the caller decides how many processes compute",
        "Create it with `ProcessPoolExecutor(max_workers=workers)`.",
    )
    check(
        seen["pools"][0] in seen["shutdowns"],
        text,
        "Its pool was never shut down: its worker processes stay alive",
        "the pool shut down before crunch_batches returns",
        "A `with ProcessPoolExecutor(...) as pool:` block shuts the pool down when it ends.",
    )


def test_crunch_batches_awaits_every_result_before_the_pool_shuts_down(learner):
    """crunch_batches keeps the event loop free: it awaits every result inside the pool's `with` block"""
    batches = [[5000, 1000], [9000, 3000, 2000]]
    call, seen, ticks = run_crunch_batches(learner, batches, 2)
    call.result()
    check(
        not seen["frozen"],
        call.text,
        f"It shut its pool down (shutdown(wait=True), which is what the end of a `with` block calls) while "
        f"{seen['frozen'][0] if seen['frozen'] else 0} job(s) were still running: shutdown(wait=True) blocks "
        "until they finish, and the event loop was frozen meanwhile",
        "every result awaited inside the `with` block, before it ends",
        "Don't only submit the jobs inside the block and read their results after it: " + WITH_BLOCK,
    )
    check(
        ticks > 0,
        call.text,
        "A heartbeat task on the same loop never got to run while its jobs were out: the loop was frozen",
        "the loop to run other tasks while the workers compute",
        "Await the jobs (through crunch_all), don't wait for them with future.result(), executor.map or "
        "the end of a `with` block: " + WITH_BLOCK,
    )


def test_crunch_batches_lets_an_error_out_and_still_shuts_down(learner):
    """crunch_batches lets the ValueError of count_primes(-1) out, and still shuts its pool down"""
    batches = [[3000, 1000], [-1]]
    call, seen, _ = run_crunch_batches(learner, batches, 2)
    error = call.run.error
    check(
        error is not None,
        call.text,
        f"It returned {call.run.value!r} instead of raising: the ValueError of count_primes(-1) was swallowed",
        "that ValueError to come out of crunch_batches",
        "Let it out: don't catch it, and don't gather with return_exceptions=True "
        "(awaiting a job re-raises the exception it raised in the worker).",
    )
    if not holds(error, ValueError):
        call.result()  # says what it raised instead, and where
    check(
        len(seen["pools"]) == 1 and seen["pools"][0] in seen["shutdowns"],
        call.text,
        "The ValueError of count_primes(-1) came out, but "
        + ("its pool was never shut down: its worker processes stay alive" if len(seen["pools"]) == 1
           else f"it created {len(seen['pools'])} ProcessPoolExecutors"),
        "one pool, shut down also when a batch raises",
        "A `with ProcessPoolExecutor(max_workers=workers) as pool:` block shuts the pool down however it "
        "ends, also after an exception (so does pool.shutdown() in a `finally:`).",
    )


def holds(error, kind):
    """``error`` is a ``kind``, or an exception group (a TaskGroup's) holding one."""
    if isinstance(error, kind):
        return True
    if isinstance(error, BaseExceptionGroup):
        return any(holds(inner, kind) for inner in error.exceptions)
    return False
