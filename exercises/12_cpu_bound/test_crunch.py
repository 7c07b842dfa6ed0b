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
PRIMES_BELOW = {9000: 1117, 2000: 303, 5000: 669, 3000: 430, 1000: 168}


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

    def watched_submit(pool, fn, /, *args, **kwargs):
        # submit(functools.partial(count_primes, n)) too
        while isinstance(fn, functools.partial):
            fn, args = fn.func, fn.args + args
        seen["on_submit"]()
        seen["waiting"].append(sum(1 for p, _, earlier in seen["jobs"] if p is pool and not earlier.done()))
        with pool_bookkeeping():
            future = submit(pool, fn, *args, **kwargs)
        seen["jobs"].append((pool, args, future))
        return future

    def watched_shutdown(pool, wait=True, *, cancel_futures=False):
        seen["shutdowns"].append(pool)
        if all(future.done() for p, _, future in seen["jobs"] if p is pool):
            wait = False  # nothing left to wait for but the workers' exit: the test waits for that
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
        for pool, workers in zip(seen["pools"], seen["workers"]):
            shutdown(pool, wait=False, cancel_futures=True)
            for process in list(workers.copy().values()):
                process.join(2.0)  # a job that never ends is stopped here
                if process.is_alive():
                    process.kill()


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
        call = learner.run_scenario("crunch_all", scenario, text=text, limit=LIMIT)
        return call, seen, executor, len(ticks)


def test_crunch_all_returns_the_counts(learner):
    """crunch_all returns one count per number, in the order of the numbers"""
    numbers = [9000, 2000, 5000]
    call, _, _, _ = run_crunch_all(learner, numbers)
    got = call.result()
    expected = [PRIMES_BELOW[n] for n in numbers]
    check(
        isinstance(got, list) and got == expected,
        call.text,
        f"It returned {got!r}",
        f"{expected!r}: count_primes(n) for each number, in order",
        f"asyncio.gather keeps the order of what you pass it: {GATHER}",
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
        args[0] for pool, args, _ in seen["jobs"] if pool is executor and args
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


def test_crunch_batches_uses_one_pool_and_shuts_it_down(learner):
    """crunch_batches crunches every batch through one pool, shut down before it returns"""
    batches = [[3000, 1000], [2000], [5000, 9000]]

    async def scenario(crunch_batches):
        # with a timer due every 1 ms, the loop's virtual clock moves in small steps
        async def heartbeat():
            while True:
                await asyncio.sleep(0.001)

        beat = asyncio.create_task(heartbeat())
        try:
            return await crunch_batches(batches, 2)
        finally:
            beat.cancel()

    with watching(learner) as seen:
        text = f"crunch_batches({batches}, 2)"
        call = learner.run_scenario("crunch_batches", scenario, text=text, limit=LIMIT)
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
        "`with ProcessPoolExecutor(max_workers=workers) as pool:` around the loop over the batches, and "
        "`await crunch_all(batch, pool)` inside it.",
    )
    check(
        seen["pools"][0] in seen["shutdowns"],
        text,
        "Its pool was never shut down: its worker processes stay alive",
        "the pool shut down before crunch_batches returns",
        "A `with ProcessPoolExecutor(...) as pool:` block shuts the pool down when it ends.",
    )
