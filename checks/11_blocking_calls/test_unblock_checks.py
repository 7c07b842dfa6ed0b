"""Hidden checks of exercise 11: wait_until_ready, fetch_stock, read_settings, lookup_all.

Every check runs the learner's coroutine on the harness's guarded virtual-time loop, beside
a **heartbeat**: a task that beats every few milliseconds of loop time and notes each beat's
real time. The blocking pieces the learner is handed wait for that heartbeat:

- ``legacy_lookup(key)``, run in a worker thread, returns only once the loop has beaten
  twice since it started (the loop is free), or after ``CAP`` s of real time (the loop is
  stuck: the check then notes where the loop's thread was). The lookups of one call also
  wait for each other to start (so they can be counted in flight) and finish last key
  first (so results in completion order are always out of order). Run on the loop's own
  thread a lookup cannot wait for beats: it blocks for ``ON_LOOP`` s and notes the line.
- ``read_settings`` reads a named pipe whose second half is written only after two beats.
- ``fetch_stock`` asks an aiohttp server in the learner's loop, which notes each request's
  client (``User-Agent``, and a header only the session it was given sends).

So a piece of work never finishes while the loop's thread is held by learner code: a
synchronous wait (``future.result()``, ``concurrent.futures.wait``, the end of a ``with
ThreadPoolExecutor()`` block) always meets unfinished work, whatever the machine's load.
While learner code runs, the check also notes every synchronous wait on the loop's thread
(``threading.Condition.wait`` and ``Thread.join`` with a learner line on the stack), every
call sent to a thread (``loop.run_in_executor``) and every ``requests`` or ``urllib``
request. Verdicts read those notes, the order of events and loop time, never the wall
clock; the heartbeat's real-time gaps only illustrate a message. The exercise's own
verdicts come first; whatever they don't explain is left to the harness's message.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
import itertools
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import sleep as _real_sleep
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from grader import expect
from grader.blocking import Location, learner_location
from grader.failure import CheckFailed
from grader.learner import Call, short

# loop time is virtual: correct code hits each figure exactly
EXACT = 1e-6
# s of loop time between beats while work runs in threads (loop time then follows real time)
TICK = 0.002
# s of loop time after which the heartbeat beats once a second while no piece waits for it
SLOW_AFTER = 1.0
# s of real time a piece waits for the loop to beat before it gives up: only wrong code waits
# that long, so it is wide (a loaded machine may leave the loop's thread unscheduled a while)
CAP = 5.0
# s of real time a lookup waits for the others to start (to count them in flight), and for
# those after it to finish (to finish last key first); again only wrong code waits it out
PEERS = 3.0
# worker threads started, outside the loop, in the loop's default executor before a check; as
# many as lookup_all's keys, and the executor has at least that many (cpu_count + 4 can be fewer)
THREADS = 10
# s of real time a lookup check may take: a pool of the learner's own (cpu_count + 4 threads, 6
# on 2 cores) runs 10 lookups in two rounds, and wrong code waits CAP in each (measured on 3.13,
# where blockbuster does not see future.result() block: 10.3 s, past the usual 10 s limit)
LOOKUP_LIMIT = 30.0
# s of real time legacy_lookup blocks when it is called on the loop's thread (with the
# sleep bound above, before blockbuster wraps time.sleep: this check names it, not the harness)
ON_LOOP = 0.02
# beats a piece in a worker thread waits for: proof that the loop ran meanwhile
BEATS = 2

TO_THREAD = (
    "Run it in a worker thread and await that: `await asyncio.to_thread(legacy_lookup, key)`. Pass the "
    "function and its argument: `asyncio.to_thread(legacy_lookup(key))` would call it right there, on "
    "the loop's thread, before any thread is involved."
)
AWAIT_IT = (
    "Await the work instead of waiting for it: `await asyncio.to_thread(...)`, `await "
    "loop.run_in_executor(None, ...)`, or `await asyncio.wrap_future(future)` for a future of your own "
    "executor. Inside a coroutine never call future.result() or concurrent.futures.wait() on unfinished "
    "work, nor leave a `with ThreadPoolExecutor()` block: each makes the loop's thread wait for the worker."
)
TOGETHER = (
    "Start every lookup before awaiting any: `return await asyncio.gather(*(asyncio.to_thread(legacy_lookup, "
    "key) for key in keys))`. Each to_thread call gets its own worker thread."
)
SESSION = (
    "Use the aiohttp session you are given: `async with session.get(url) as response:` then "
    "`data = await response.json()`."
)
SLEEP = "Pause with `await asyncio.sleep(interval)`: it suspends only this coroutine, with no thread."
READ_FILE = (
    'Read it in a worker thread, `text = await asyncio.to_thread(path.read_text, encoding="utf-8")`, or '
    'with aiofiles: `async with aiofiles.open(path, encoding="utf-8") as file: text = await file.read()`.'
)


def seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def listed(values: list[float]) -> str:
    return (
        ", ".join(f"{v:.2f}".rstrip("0").rstrip(".") for v in values) + " s"
        if values
        else "never"
    )


# --- the heartbeat ------------------------------------------------------------------------------


class Heartbeat:
    """A task beating every ``tick`` s of loop time; worker threads can wait for its beats."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        # (loop time, real time) of each beat
        self.beats: list[tuple[float, float]] = []
        self.changed = threading.Condition()
        self.stopped = False
        self.waiting = 0  # worker threads waiting for beats
        self.started = self.ended = 0.0  # real time

    @property
    def count(self) -> int:
        return len(self.beats)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            # Code that never finishes: slow down once nothing waits for a beat, so the
            # harness reports a hang, not the heartbeat's own steps as a busy wait.
            slow = loop.time() - start > SLOW_AFTER and not self.waiting
            await asyncio.sleep(max(self.tick, 1.0) if slow else self.tick)
            with self.changed:
                self.beats.append((loop.time(), time.perf_counter()))
                self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.ended = time.perf_counter()
            self.changed.notify_all()

    def wait(self, ready: Callable[[], bool], cap: float = CAP) -> str:
        """Block this worker thread until ``ready()``: "ok", "stopped" (the check ended) or "cap"."""
        deadline = time.perf_counter() + cap
        with self.changed:
            self.waiting += 1
            try:
                while not ready():
                    if self.stopped:
                        return "stopped"
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        return "cap"
                    self.changed.wait(left)
            finally:
                self.waiting -= 1
        return "ok"

    def silence(self) -> float:
        """The longest real time the heartbeat went without a beat while the learner's code ran."""
        times = (
            [self.started]
            + [real for _, real in self.beats]
            + [self.ended or time.perf_counter()]
        )
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


# --- what the learner's code did ----------------------------------------------------------------


@dataclass
class Piece:
    """One call of a blocking piece (a lookup, a file read), from start to end."""

    label: str
    on_loop: bool
    # the learner's line that called it, and the learner's own `async def` it was
    # called in when that is not the checked function (a wrapper)
    where: Location | None
    wrapper: str | None
    beats_start: int
    real_start: float
    real_end: float | None = None
    beats_end: int | None = None
    # "ok", "cap" (the loop never beat), "stopped" (the check ended)
    outcome: str = "running"
    # where the loop's thread was when the wait ran out
    stuck_at: Location | None = None


@dataclass
class Wait:
    """A synchronous wait made on the loop's thread by learner code."""

    what: str
    where: Location | None


@dataclass
class Offload:
    """A call sent to a worker thread through loop.run_in_executor (asyncio.to_thread uses it)."""

    what: str
    where: Location | None


@dataclass
class Client:
    """A request made with a blocking HTTP client."""

    client: str
    url: str
    on_loop: bool
    where: Location | None


@dataclass
class Scene:
    """Everything one run noted."""

    function: str
    files: frozenset[str]
    heartbeat: Heartbeat
    loop: asyncio.AbstractEventLoop | None = None
    loop_thread: int | None = None
    pieces: list[Piece] = field(default_factory=list)
    waits: list[Wait] = field(default_factory=list)
    offloads: list[Offload] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)

    def on_loop(self) -> bool:
        return threading.get_ident() == self.loop_thread

    def begin(self, label: str, frame: Any) -> Piece:
        on_loop = self.on_loop()
        where = learner_location(frame, self.files)
        wrapper = None
        if on_loop and frame is not None:
            inner = _learner_frame(frame, self.files)
            if (
                inner is not None
                and inner.f_code.co_flags & inspect.CO_COROUTINE
                and inner.f_code.co_name != self.function
            ):
                wrapper = inner.f_code.co_name
        piece = Piece(
            label, on_loop, where, wrapper, self.heartbeat.count, time.perf_counter()
        )
        self.pieces.append(piece)
        return piece

    def end(self, piece: Piece, outcome: str) -> None:
        piece.real_end = time.perf_counter()
        piece.beats_end = self.heartbeat.count
        piece.outcome = outcome
        if outcome == "cap" and self.loop_thread is not None:
            piece.stuck_at = learner_location(
                sys._current_frames().get(self.loop_thread), self.files
            )

    def wait_for_loop(self, piece: Piece) -> str:
        """In a worker thread: wait for BEATS beats since ``piece`` began; end it."""
        outcome = self.heartbeat.wait(
            lambda: self.heartbeat.count >= piece.beats_start + BEATS
        )
        self.end(piece, outcome)
        return outcome


def _learner_frame(frame: Any, files: frozenset[str]) -> Any:
    while frame is not None and frame.f_code.co_filename not in files:
        frame = frame.f_back
    return frame


# Synchronous waits: what a learner line did, by the function it called (file, qualified name).
FUTURES, POOL = "concurrent/futures/_base.py", "concurrent/futures/thread.py"
WAIT_NAMES = {
    (FUTURES, "Future.result"): "waited for it with future.result()",
    (FUTURES, "Future.exception"): "waited for it with future.exception()",
    (FUTURES, "wait"): "waited for it with concurrent.futures.wait()",
    (FUTURES, "as_completed"): "waited for it with concurrent.futures.as_completed()",
    (FUTURES, "Executor.__exit__"): (
        "left its `with ThreadPoolExecutor()` block, whose exit calls "
        "pool.shutdown(wait=True): that waits until every thread of the pool is done"
    ),
    (FUTURES, "Executor.map.<locals>.result_iterator"): (
        "read the results of pool.map(), which waits for each one"
    ),
    (POOL, "ThreadPoolExecutor.shutdown"): "waited for the pool with pool.shutdown()",
    ("threading.py", "Thread.join"): "waited for it with thread.join()",
    ("threading.py", "Event.wait"): "waited for it with event.wait()",
    ("queue.py", "Queue.get"): "waited for it with queue.get()",
}


def _wait_name(frame: Any, files: frozenset[str]) -> str | None:
    """The blocking function a learner line called, given a frame inside it; None if it is
    not a wait of the learner's (a thread starting up, no learner code on the stack)."""
    callee = None
    while frame is not None:
        code = frame.f_code
        if code.co_filename in files:
            break
        # Thread.start waits for its new thread: part of submitting work, not a wait
        if code.co_filename.endswith("threading.py") and code.co_name == "start":
            return None
        callee, frame = frame, frame.f_back
    if frame is None or callee is None:
        return None
    name = getattr(callee.f_code, "co_qualname", callee.f_code.co_name)
    path = callee.f_code.co_filename.replace("\\", "/")
    for (suffix, qualname), text in WAIT_NAMES.items():
        if path.endswith(suffix) and name == qualname:
            return text
    return f"waited for it with {name}()"


@contextmanager
def watching(scene: Scene):
    """Note synchronous waits on the loop's thread and blocking HTTP clients, while a check runs."""
    original_wait, original_join = threading.Condition.wait, threading.Thread.join

    def note(frame: Any) -> None:
        if scene.on_loop():
            what = _wait_name(frame, scene.files)
            if what is not None:
                scene.waits.append(Wait(what, learner_location(frame, scene.files)))

    @functools.wraps(original_wait)
    def wait(condition, timeout=None):
        if timeout != 0:
            note(sys._getframe(1))
        return original_wait(condition, timeout)

    @functools.wraps(original_join)
    def join(thread, timeout=None):
        if timeout != 0:
            note(sys._getframe(1))
        return original_join(thread, timeout)

    patches = [(threading.Condition, "wait", wait), (threading.Thread, "join", join)]
    # requests and urllib.request are imported by the learner's module, if at all
    if "requests" in sys.modules:
        session = sys.modules["requests"].Session
        patches.append(
            (session, "request", _client(scene, "requests", session.request))
        )
    if "urllib.request" in sys.modules:
        opener = sys.modules["urllib.request"].OpenerDirector
        patches.append((opener, "open", _client(scene, "urllib", opener.open)))
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _client(scene: Scene, client: str, original: Callable) -> Callable:
    """``original`` (Session.request, OpenerDirector.open), noting the request's URL first."""
    signature = inspect.signature(original)

    @functools.wraps(original)
    def request(*args, **kwargs):
        try:
            given = signature.bind(*args, **kwargs).arguments
        except TypeError:
            given = {}
        url = given.get("url", given.get("fullurl", "?"))
        url = str(getattr(url, "full_url", url))  # urlopen also takes a Request
        if not any(c.client == client and c.url == url for c in scene.clients):
            where = learner_location(sys._getframe(1), scene.files)
            scene.clients.append(Client(client, url, scene.on_loop(), where))
        return original(*args, **kwargs)

    return request


def watch_offloads(scene: Scene, loop: asyncio.AbstractEventLoop) -> None:
    """Note every call the learner's code sends to a worker thread through this loop."""
    original = loop.run_in_executor

    def run_in_executor(executor, func, *args):
        frame = sys._getframe(1)
        if learner_location(frame, scene.files) is not None:
            scene.offloads.append(
                Offload(_callable_name(func), learner_location(frame, scene.files))
            )
        return original(executor, func, *args)

    loop.run_in_executor = run_in_executor


def _callable_name(func: Any) -> str:
    while isinstance(func, functools.partial):
        run = func.func
        # asyncio.to_thread sends partial(context.run, f, *args)
        if getattr(run, "__name__", "") == "run" and func.args:
            func = func.args[0]
        else:
            func = run
    if func is _real_sleep or func is time.sleep:
        return "time.sleep"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    name = (name or type(func).__name__).rsplit("<locals>.", 1)[-1]
    return "a lambda" if name == "<lambda>" else name


# --- running the learner's function beside the heartbeat -----------------------------------------


def run(
    learner,
    name: str,
    *,
    text: str,
    args: Callable[[Scene], tuple] | None = None,
    setup: Callable[[Scene], Any] | None = None,
    many: bool = False,
    tick: float = TICK,
    scene: Scene | None = None,
) -> tuple[Call, Scene]:
    """Run the learner's ``name`` beside a heartbeat; explain any blocking first.

    ``args(scene)`` gives the arguments; or ``setup(scene)`` is an async context manager
    entered around the call that yields them (a server and a session, a slow file). With
    ``many``, it yields a list of argument tuples: the check makes those calls at once
    (gathered) and the call's value is the list of their results. ``scene`` is one made
    beforehand (a slow file needs it).
    """
    scene = scene or Scene(name, learner.files, Heartbeat(tick))
    pool = started_pool()

    async def scenario(function):
        loop = asyncio.get_running_loop()
        scene.loop, scene.loop_thread = loop, threading.get_ident()
        loop.set_default_executor(pool)
        watch_offloads(scene, loop)
        scene.heartbeat.started = time.perf_counter()
        beating = asyncio.create_task(scene.heartbeat.run())
        try:
            async with (
                setup(scene) if setup else contextlib.nullcontext(args(scene)) as given
            ):
                try:
                    if many:
                        return await asyncio.gather(*(function(*one) for one in given))
                    return await function(*given)
                finally:
                    # releases every piece still waiting for the loop
                    scene.heartbeat.stop()
        finally:
            scene.heartbeat.stop()
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    # a full collection of the session's objects inside one step would look like a held loop
    gc.freeze()
    try:
        with watching(scene):
            try:
                call = learner.run_scenario(name, scenario, text=text)
            except CheckFailed:
                explain(scene, text)
                raise
    finally:
        gc.unfreeze()
        pool.shutdown(wait=False)
    explain(scene, text)
    other_loop(call)
    return call, scene


def other_loop(call: Call) -> None:
    """A future of another event loop (asyncio.new_event_loop()) awaited in this one."""
    error = call.run.error
    if isinstance(error, RuntimeError) and "attached to a different loop" in str(error):
        raise CheckFailed(
            f"Called {call.text}. It awaited a future that belongs to another event loop, at {call.where(error)}: "
            "a loop made with asyncio.new_event_loop() (or taken from another thread) is not the one running "
            "your coroutine, and it never runs, so its futures can't be awaited here.",
            "Use the loop you are running in: `loop = asyncio.get_running_loop()`, or simply "
            "`await asyncio.to_thread(legacy_lookup, key)`.",
        )


def started_pool() -> ThreadPoolExecutor:
    """A default executor for the loop whose first threads are already running.

    Starting a thread waits for it to start; inside a loop step, on a loaded machine, that
    wait could pass for a held loop. So the threads asyncio.to_thread would start on the
    loop's thread are started here, before the loop runs.
    """
    pool = ThreadPoolExecutor(max_workers=max(THREADS, min(32, (os.cpu_count() or 1) + 4)))
    together = threading.Barrier(THREADS + 1, timeout=CAP)
    for _ in range(THREADS):
        pool.submit(together.wait)  # each waits for the others: one new thread each
    with contextlib.suppress(threading.BrokenBarrierError):
        together.wait()
    return pool


def explain(scene: Scene, text: str) -> None:
    """Fail with the exercise's own message when the notes show blocking."""
    for client in scene.clients:
        blocking_client(scene, text, client)
    on_loop = [p for p in scene.pieces if p.on_loop]
    if on_loop:
        ran_on_loop(scene, text, on_loop)
    if scene.waits:
        waited(scene, text, scene.waits[0])
    stuck = [
        p for p in scene.pieces if p.outcome == "cap" and p.beats_end == p.beats_start
    ]
    if stuck:
        piece = stuck[0]
        where = (
            f" Your coroutine was held at {piece.stuck_at}." if piece.stuck_at else ""
        )
        raise CheckFailed(
            f"Called {text}. While {piece.label} was under way in another thread, the event loop stopped: the "
            f"heartbeat beside your code did not beat once in {seconds(CAP)} of real time.{where} Something "
            "there waits for that thread without `await`.",
            AWAIT_IT,
        )


def ran_on_loop(scene: Scene, text: str, pieces: list[Piece]) -> None:
    first = pieces[0]
    where = first.where or "your code"
    count = (
        f" All {len(pieces)} calls ran there."
        if len(pieces) > 1 and len(pieces) == len(scene.pieces)
        else ""
    )
    wrapped = (
        f" Wrapping it in `async def {first.wrapper}` changes nothing: the call inside still runs on the loop's "
        "thread, and nothing can run until it returns."
        if first.wrapper
        else ""
    )
    raise CheckFailed(
        f"Called {text}. {first.label} ran on the event loop's own thread, called at {where}: a blocking call "
        f"freezes the loop until it returns, and the heartbeat beside your code went "
        f"{scene.heartbeat.silence():.2f} s of real time without a beat.{count}{wrapped}",
        TO_THREAD,
    )


def waited(scene: Scene, text: str, wait: Wait) -> None:
    in_threads = [p.label for p in scene.pieces if not p.on_loop]
    sent = (
        in_threads[0]
        if in_threads
        else scene.offloads[0].what
        if scene.offloads
        else "the work"
    )
    raise CheckFailed(
        f"Called {text}. It sent {sent} to a worker thread, then {wait.what}, at {wait.where or 'your code'}, on "
        "the event loop's thread. While that waits, the loop is frozen, as if the work ran on it.",
        AWAIT_IT,
    )


def blocking_client(scene: Scene, text: str, client: Client) -> None:
    sent = [o.where for o in scene.offloads if o.where is not None]
    where = client.where or (sent[0] if sent and not client.on_loop else "your code")
    if client.on_loop:
        happened = (
            "on the event loop's thread: until the answer comes, the loop is frozen"
        )
    else:
        happened = (
            "in a worker thread. That keeps the loop free, but each request holds a thread while it waits, "
            "and asyncio has a client of its own: you were given an aiohttp session"
        )
    raise CheckFailed(
        f"Called {text}. It fetched {re.sub(r':[0-9]+/', ':PORT/', client.url)} with {client.client}, a blocking HTTP client, at {where}, "
        f"{happened}.",
        SESSION,
    )


# --- wait_until_ready -----------------------------------------------------------------------------


# is_ready() calls in a row with no loop step between them: the coroutine never pauses
SPIN = 20_000


class Spinning(BaseException):
    """Raised by is_ready() to stop a coroutine that calls it without ever pausing (a
    BaseException, so an `except Exception` around the call does not keep it spinning)."""


class Readiness:
    """``is_ready()``: True from ``ready_at`` s of loop time on; notes when it was called.

    Between two calls it lets the loop run one callback of its own: SPIN calls in a row
    without that callback running mean the loop never got a turn (an `asyncio.sleep(...)`
    without `await`): it then raises ``Spinning`` instead of filling memory with calls.
    """

    __name__ = "is_ready"

    def __init__(self, ready_at: float) -> None:
        self.ready_at = ready_at
        self.scene: Scene | None = None
        self.calls: list[float] = []
        self.in_a_row = 0
        self.asked = False  # a turn callback is scheduled and has not run yet
        self.spun: float | None = None  # the loop time of the spin

    def _turn(self) -> None:
        self.asked = False
        self.in_a_row = 0

    def __call__(self) -> bool:
        loop = self.scene.loop
        now = loop.time()
        if self.spun is not None:
            raise Spinning
        if not self.asked:
            self.asked = True
            loop.call_soon_threadsafe(self._turn)
        self.in_a_row += 1
        if self.in_a_row > SPIN:
            self.spun = now
            raise Spinning
        self.calls.append(now)
        return now + EXACT >= self.ready_at


def run_wait(
    learner, ready_at: float, interval: float
) -> tuple[Call, Scene, Readiness]:
    ready = Readiness(ready_at)

    def args(scene: Scene) -> tuple:
        ready.scene = scene
        return (ready, interval)

    text = f"wait_until_ready(is_ready, {interval:g})"
    try:
        call, scene = run(
            learner, "wait_until_ready", text=text, args=args, tick=interval / 2
        )
    except CheckFailed:
        spun(text, ready)
        raise
    spun(text, ready)
    slept_in_thread(call, scene)
    if call.run.leaked:
        raise CheckFailed(
            f"Called {call.text}. It returned while {len(call.run.leaked)} task(s) it started were still running "
            f"({', '.join(call.run.leaked)}): left behind, a task goes on checking and pausing after the answer "
            "was given.",
            "No task is needed: check and pause in wait_until_ready itself, `while not is_ready(): await "
            "asyncio.sleep(interval)`. A task you do start must be awaited or cancelled before returning.",
        )
    return call, scene, ready


def spun(text: str, ready: Readiness) -> None:
    if ready.spun is None:
        return
    raise CheckFailed(
        f"Called {text}, where is_ready() turns True at {ready.ready_at:g} s. It called is_ready() {SPIN:,} times "
        f"in a row at {seconds(ready.spun)} of loop time and never paused between the calls: the loop could run "
        "nothing else, not even its clock. `asyncio.sleep(interval)` without `await` only makes a coroutine "
        "object: it does not pause.",
        "Pause with `await asyncio.sleep(interval)`, with the `await`: it suspends only this coroutine, with no "
        "thread.",
    )


def slept_in_thread(call: Call, scene: Scene) -> None:
    if not scene.offloads:
        return
    sent = scene.offloads[0]
    if sent.what == "time.sleep":
        raise CheckFailed(
            f"Called {call.text}. It sent time.sleep to a worker thread at {sent.where or 'your code'}. That does not "
            "freeze the loop, but it ties up a thread for every pause, and asyncio has the async equivalent.",
            SLEEP,
        )
    raise CheckFailed(
        f"Called {call.text}. It sent {sent.what} to a worker thread at {sent.where or 'your code'}: wait_until_ready "
        "needs no thread. is_ready() answers at once, and asyncio has its own way to pause.",
        SLEEP,
    )


@pytest.mark.points(2)
def test_wait_until_ready_checks_every_interval(learner):
    """wait_until_ready checks now and then every interval, and returns how many checks it made"""
    call, scene, ready = run_wait(learner, ready_at=0.5, interval=0.2)
    got = call.result()
    wanted = [0.0, 0.2, 0.4, 0.6]
    calls = ready.calls
    story = "where is_ready() turns True at 0.5 s"
    if not calls:
        raise CheckFailed(
            f"Called {call.text}, {story}. It never called is_ready().",
            "Call is_ready() first, then after every pause.",
        )
    if len(calls) != len(wanted) or any(
        abs(a - b) > EXACT for a, b in zip(calls, wanted)
    ):
        raise CheckFailed(
            f"Called {call.text}, {story}. It called is_ready() at {listed(calls)} of loop time; expected "
            f"{listed(wanted)}: check at once, then once after each pause of 0.2 s, and stop at the first True.",
            "Keep the legacy loop as it is: `while not is_ready():`, pausing with `await asyncio.sleep(interval)` "
            "inside it.",
        )
    if got != 4 or type(got) is not int:
        raise CheckFailed(
            f"Called {call.text}, {story}. It checked at the right times but returned {short(got)}; expected 4, "
            "the number of is_ready() calls (the first one included).",
            "Count every check: start at 1 and add 1 after each pause.",
        )
    if abs(call.loop_time - 0.6) > EXACT:
        raise CheckFailed(
            f"Called {call.text}, {story}. It returned at {seconds(call.loop_time)} of loop time; expected 0.6 s, at the 4th check."
        )
    if scene.heartbeat.count < 5:
        raise CheckFailed(
            f"Called {call.text}. The heartbeat beside it, due every 0.1 s, beat only {scene.heartbeat.count} times "
            "in 0.6 s of loop time: the loop did not tick freely while it waited.",
            SLEEP,
        )


@pytest.mark.points(1)
def test_wait_until_ready_returns_at_once_when_ready(learner):
    """wait_until_ready returns 1 at once, without pausing, when is_ready() is already True"""
    call, _, ready = run_wait(learner, ready_at=0.0, interval=1.0)
    got = call.result()
    if (
        len(ready.calls) != 1
        or got != 1
        or type(got) is not int
        or call.loop_time > EXACT
    ):
        raise CheckFailed(
            f"Called {call.text}, where is_ready() is True from the start. It called is_ready() "
            f"{len(ready.calls)} time(s), returned {short(got)} after {seconds(call.loop_time)} of loop time; expected "
            "1 call, 1 returned, no pause.",
            "Check before the first pause: `while not is_ready():` pauses only while it is not ready yet.",
        )


# --- fetch_stock ----------------------------------------------------------------------------------

STOCK = {"kiwi": 12, "fig": 0, "pear": 7}
GIVEN = "X-Awaitlings-Session"  # a header only the session the check hands over sends


@dataclass
class Hit:
    item: str
    agent: str
    given: bool  # came through the session the learner was given
    start: float
    end: float | None = None
    beats: int = 0  # heartbeat beats while the server handled it


class StockServer:
    """An aiohttp server on 127.0.0.1 in the learner's loop: /stock/<item> answers
    {"item": item, "in_stock": n} after ``delay`` s of loop time."""

    def __init__(self, scene: Scene, delay: float) -> None:
        self.scene = scene
        self.delay = delay
        self.hits: list[Hit] = []
        self.in_flight = self.peak = 0
        self.base = ""
        # the session given was already closed when the call returned
        self.closed_by_learner = False

    async def stock(self, request: web.Request) -> web.Response:
        item = request.match_info["item"]
        loop = asyncio.get_running_loop()
        agent = request.headers.get("User-Agent", "")
        hit = Hit(item, agent, GIVEN in request.headers, loop.time())
        self.hits.append(hit)
        beats = self.scene.heartbeat.count
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            # a blocking client gets its answer at once: its check stays quick
            if "aiohttp" in agent:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        hit.end, hit.beats = loop.time(), self.scene.heartbeat.count - beats
        return web.json_response({"item": item, "in_stock": STOCK[item]})

    def url(self, item: str) -> str:
        return f"{self.base}/stock/{item}"

    @contextlib.asynccontextmanager
    async def running(self):
        app = web.Application()
        app.router.add_get("/stock/{item}", self.stock)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        session = aiohttp.ClientSession(headers={GIVEN: "yes"})
        try:
            yield session
        finally:
            self.closed_by_learner = session.closed
            await session.close()
            await runner.cleanup()


def run_fetch(
    learner, items: list[str], delay: float
) -> tuple[Call, Scene, StockServer]:
    box: list[StockServer] = []

    @contextlib.asynccontextmanager
    async def setup(scene: Scene):
        server = StockServer(scene, delay)
        box.append(server)
        async with server.running() as session:
            calls = [(session, server.url(item)) for item in items]
            yield calls if len(items) > 1 else calls[0]

    if len(items) == 1:
        text = f"fetch_stock(session, 'http://127.0.0.1:PORT/stock/{items[0]}')"
    else:
        text = f"fetch_stock(session, url) for {len(items)} URLs at once"
    call, scene = run(
        learner,
        "fetch_stock",
        text=text,
        setup=setup,
        many=len(items) > 1,
        tick=delay / 4,
    )
    server = box[0]
    if server.closed_by_learner:
        raise CheckFailed(
            f"Called {call.text}. When it returned, the session it was given was closed: `async with session:` "
            "(or session.close()) closes it on the way out. The session belongs to the caller, who goes on "
            "using it for other requests and closes it once, at the end.",
            "Open only the response: `async with session.get(url) as response:`, not `async with session`.",
        )
    other = [h for h in server.hits if not h.given]
    if other:
        hit = other[0]
        client = (
            "another aiohttp session (one it made itself)"
            if "aiohttp" in hit.agent
            else f"a client calling itself {hit.agent!r}"
        )
        raise CheckFailed(
            f"Called {call.text}. The server got the request for /stock/{hit.item} from {client}, not from the "
            "session you were given. A session holds a pool of connections meant to be shared; making one per "
            "request wastes it.",
            SESSION,
        )
    return call, scene, server


@pytest.mark.points(2)
def test_fetch_stock_uses_the_session(learner):
    """fetch_stock GETs the page with the aiohttp session it is given and returns its "in_stock\""""
    call, _, server = run_fetch(learner, ["kiwi"], delay=0.5)
    got = call.result()
    if not server.hits:
        raise CheckFailed(
            f"Called {call.text}. The server never got a request.", SESSION
        )
    if type(got) is dict and got.get("in_stock") == 12:
        raise CheckFailed(
            f'Called {call.text}. It returned the whole JSON object, {short(got)}; expected only its "in_stock", 12.',
            'Return `data["in_stock"]`.',
        )
    if got != 12 or type(got) is not int:
        raise CheckFailed(
            f'Called {call.text}, whose page is {{"item": "kiwi", "in_stock": 12}}. It returned {short(got)}; '
            "expected 12.",
            '`data = await response.json()` parses the page; return `data["in_stock"]`.',
        )


@pytest.mark.points(1)
def test_fetch_stock_lets_the_loop_run(learner):
    """3 fetch_stock calls at once, each page taking 1 s, take 1 s, and the loop keeps ticking"""
    call, _, server = run_fetch(learner, ["fig", "pear", "kiwi"], delay=1.0)
    got = call.result()
    if not expect.same(got, [0, 7, 12]):
        raise CheckFailed(
            f"Called {call.text} (fig, pear, kiwi). They returned {short(got)}; expected [0, 7, 12].",
            SESSION,
        )
    if (
        server.peak != 3
        or abs(call.loop_time - 1.0) > EXACT
        or min(h.beats for h in server.hits) < 3
    ):
        raise CheckFailed(
            f"Called {call.text}, each page taking 1 s. At most {server.peak} requests were at the server at once "
            f"and the three took {seconds(call.loop_time)} of loop time; expected all 3 at once, 1 s, with the loop "
            "free meanwhile.",
            SESSION,
        )


# --- read_settings --------------------------------------------------------------------------------

SETTINGS_TEXT = (
    "# shop settings\n"
    "currency = EUR\n"
    "\n"
    "open = 08:00\n"
    "close=20:30\n"
    "  greeting = Hello = welcome  \n"
)
SETTINGS = {
    "currency": "EUR",
    "open": "08:00",
    "close": "20:30",
    "greeting": "Hello = welcome",
}


class SlowFile:
    """A named pipe at ``path``: a reader gets the first half of ``text`` at once and the rest
    only once the loop has beaten twice, so the read takes time and needs a free loop."""

    def __init__(self, scene: Scene, path: Path, text: str) -> None:
        self.scene = scene
        self.path = path
        self.data = text.encode("utf-8")
        self.done = threading.Event()
        os.mkfifo(path)
        self.thread = threading.Thread(
            target=self.serve, name="awaitlings-slow-file", daemon=True
        )

    def _open(self) -> int | None:
        """Open for writing once a reader has the pipe open; None when the check ends first."""
        while not self.done.is_set():
            try:
                return os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader yet
                self.done.wait(0.0005)
        return None

    def serve(self) -> None:
        """Serve one reader (a second reader, rare, gets an empty file at the end of the check)."""
        fd = self._open()
        if fd is None:
            return
        piece = self.scene.begin(f"the read of {self.path.name}", None)
        half = len(self.data) // 2
        try:
            os.write(fd, self.data[:half])
            self.scene.wait_for_loop(piece)
            os.write(fd, self.data[half:])
        except OSError:  # the reader went away
            pass
        finally:
            os.close(fd)

    def __enter__(self) -> SlowFile:  # noqa: PYI034
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        # a reader still waiting in open() gets an empty file
        with contextlib.suppress(OSError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
        self.thread.join(1.0)


@pytest.mark.points(2)
def test_read_settings_reads_a_slow_file(learner, tmp_path):
    """read_settings returns the settings of a slow file, and the loop keeps ticking while it is read"""
    path = tmp_path / "shop.conf"
    scene = Scene("read_settings", learner.files, Heartbeat(TICK))
    text = f"read_settings(PosixPath('.../{path.name}'))"
    with SlowFile(scene, path, SETTINGS_TEXT):  # its thread starts outside the loop
        call, scene = run(
            learner, "read_settings", text=text, args=lambda _: (path,), scene=scene
        )
    got = call.result()
    if not scene.pieces:
        raise CheckFailed(f"Called {call.text}. It never opened the file.", READ_FILE)
    if not expect.same(got, SETTINGS):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}; expected {short(SETTINGS)}, what parse_settings makes "
            "of the file's whole text.",
            "Read the whole file, then `return parse_settings(text)`.",
        )


# --- lookup_all -----------------------------------------------------------------------------------

PRICES = {
    "kiwi": 40, "fig": 90, "pear": 60, "lime": 30, "plum": 70,
    "date": 20, "mango": 80, "apple": 50, "melon": 10, "quince": 100,
}
# 10 keys per call: results read from a set of tasks (asyncio.wait's `done`) came out in the order
# of 5 keys in about 1 call in 5 (py312, PYTHONMALLOC=malloc), of 10 keys practically never


class LegacyLookup:
    """``legacy_lookup(key)``: a slow blocking library call (see the module docstring).

    With ``keys``, the calls made in worker threads wait until all of them have started
    (so the check can count them in flight), then finish last key first: results that
    come back in the order the lookups finished are in the wrong order, every time.
    """

    __name__ = __qualname__ = "legacy_lookup"

    def __init__(self, keys: list[str] | None = None) -> None:
        self.scene: Scene | None = None
        self.keys = keys or []
        self.started = 0
        self.finished: set[str] = set()
        self.in_threads = self.peak = 0
        self.gave_up = False  # they never all started: stop waiting for each other

    def __call__(self, key: str) -> int:
        scene = self.scene
        piece = scene.begin(f"legacy_lookup({key!r})", sys._getframe(1))
        if piece.on_loop:
            _real_sleep(ON_LOOP)
            scene.end(piece, "ok")
            return PRICES[key]
        beat = scene.heartbeat
        with beat.changed:
            self.started += 1
            self.in_threads += 1
            self.peak = max(self.peak, self.in_threads)
            beat.changed.notify_all()
        try:
            if self.keys and not self.gave_up:
                everyone = lambda: self.started >= len(self.keys)
                self.gave_up = beat.wait(everyone, PEERS) == "cap"
            scene.wait_for_loop(piece)
            if self.keys and not self.gave_up and key in self.keys:
                after = set(self.keys[self.keys.index(key) + 1 :])
                beat.wait(lambda: after <= self.finished, PEERS)
        finally:
            with beat.changed:
                self.in_threads -= 1
                self.finished.add(key)
                beat.changed.notify_all()
        return PRICES[key]


def run_lookups(learner, keys: list[str]) -> tuple[Call, Scene, LegacyLookup]:
    lookup = LegacyLookup(keys)

    def args(scene: Scene) -> tuple:
        lookup.scene = scene
        return (lookup, keys)

    text = f"lookup_all(legacy_lookup, {keys!r})"
    call, scene = run(learner, "lookup_all", text=text, args=args)
    return call, scene, lookup


def never_awaited(call: Call) -> None:
    """Fail when the result holds coroutines or futures: work made but never awaited."""
    got = call.run.value if call.run.finished and call.run.error is None else None
    if not isinstance(got, (list, tuple)):
        return
    pending = [item for item in got if inspect.isawaitable(item)]
    if pending:
        first = pending[0]
        name = getattr(first, "__qualname__", None) or type(first).__name__
        raise CheckFailed(
            f"Called {call.text}. It returned a list holding {len(pending)} awaitable(s) ({name}(...) "
            "among them) instead of results: they were never awaited, so what they should have run never ran.",
            "An `await` is missing, maybe in a helper: `return await asyncio.to_thread(legacy_lookup, key)`. "
            + TOGETHER,
        )


def in_order(call: Call, keys: list[str]) -> None:
    never_awaited(call)
    got = call.result()
    wanted = [PRICES[k] for k in keys]
    if expect.same(got, wanted):  # not got == wanted: a result whose __eq__ lies would pass
        return
    if isinstance(got, tuple) and list(got) == wanted:
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}, a {type(got).__name__}; expected the list "
            f"{short(wanted)}, as the legacy version returns.",
            "asyncio.gather already returns a list: return it as it is (or `list(...)` it).",
        )
    if isinstance(got, (list, tuple)) and _sorted(got) == sorted(wanted):
        raise CheckFailed(
            f"Called {call.text}. It returned {short(got)}: the right results in the wrong order; expected "
            f"{short(wanted)}, in the order of keys.",
            "asyncio.gather returns the results in the order you pass the awaitables, whatever order they finish in.",
        )
    raise CheckFailed(
        f"Called {call.text}. It returned {short(got)}; expected {short(wanted)}, one result per key, in order."
    )


def in_order_again(learner, keys: list[str]) -> None:
    """The keys reversed, in order too: results read from a set of tasks can match one order by
    chance, two orders almost never."""
    again, _, _ = run_lookups(learner, keys[::-1])
    in_order(again, keys[::-1])


def _sorted(values: list | tuple) -> list | None:
    """The values sorted; None when they don't sort (not all numbers)."""
    try:
        return sorted(values)
    except TypeError:
        return None


@pytest.mark.points(2)
@pytest.mark.timeout(LOOKUP_LIMIT)
def test_lookup_all_runs_lookups_in_threads(learner):
    """lookup_all runs every legacy_lookup in a worker thread, never on the event loop's thread"""
    keys = ["kiwi", "fig", "pear", "plum", "lime", "date", "mango", "apple", "melon", "quince"]
    call, scene, _ = run_lookups(learner, keys)
    never_awaited(call)
    if not scene.pieces:
        raise CheckFailed(
            f"Called {call.text}. It never called legacy_lookup.", TO_THREAD
        )
    in_order(call, keys)
    in_order_again(learner, keys)


@pytest.mark.points(2)
@pytest.mark.timeout(LOOKUP_LIMIT)
def test_lookup_all_runs_lookups_at_once(learner):
    """lookup_all runs 10 lookups in 10 worker threads at the same time"""
    keys = ["pear", "kiwi", "lime", "fig", "plum", "melon", "apple", "quince", "date", "mango"]
    call, scene, lookup = run_lookups(learner, keys)
    in_order(call, keys)
    if lookup.peak < len(keys):
        one = len(scene.offloads) == 1 and len(scene.pieces) > 1
        how = (
            f" it sent {scene.offloads[0].what} to one thread, which ran them"
            if one
            else ""
        )
        pace = (
            f"{how} one after another, {len(keys)} lookups take {len(keys)} times as long as one"
            if lookup.peak <= 1
            else f" the others waited for a free thread, so {len(keys)} lookups take {len(keys) / lookup.peak:g} "
            "times as long as one (a pool of your own with fewer threads than lookups does that)"
        )
        raise CheckFailed(
            f"Called {call.text}. The lookups ran in worker threads, but at most {lookup.peak} at a time:{pace}.",
            TOGETHER,
        )
    in_order_again(learner, keys)
