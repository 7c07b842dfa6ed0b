"""Visible tests of exercise 02. Run them with: pytest exercises/02_event_loop

Your functions get fakes that write an event log: `step` notes each step as it starts
("A1", "B1", ...) and `process` notes each item it computes. The tests read the order
of that log, and the (virtual) loop time, to see whether your coroutines took turns.
"""

import asyncio

from grader import messages
from grader.failure import CheckFailed
from grader.loop import current_loop
from grader.probes import Probe


class Step:
    """step(name, i): one step of a worker. It logs "<name><i>" and then waits `delay`
    seconds of loop time (0: it just lets the event loop run something else once).
    `made` counts the calls: a call that is never awaited makes a step that never runs."""

    name = "step"

    def __init__(self, delay=0.0):
        self.delay = delay
        self.log = []
        self.made = 0

    def __call__(self, name, i):
        self.made += 1
        return self.take(name, i)

    async def take(self, name, i):
        self.log.append(f"{name}{i}")
        await asyncio.sleep(self.delay)


class Process:
    """process(item): a plain function returning item * item. Its first call starts a
    heartbeat coroutine on the loop, which logs "tick" whenever it gets a turn."""

    name = "process"

    def __init__(self):
        self.log = []
        self.wake = None

    def __call__(self, item):
        self.log.append(item)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # called in another thread: the loop stays free meanwhile
            self.log.append("(computed in a thread)")
            loop = current_loop.get()  # reachable from asyncio.to_thread
            if loop is not None:
                loop.call_soon_threadsafe(self.nudge)
        else:
            self.nudge()
        return item * item

    def nudge(self):
        if self.wake is None:
            self.wake = asyncio.Event()
            asyncio.get_running_loop().create_task(self.heartbeat())
        self.wake.set()

    async def heartbeat(self):
        while True:
            await self.wake.wait()
            self.wake.clear()
            self.log.append("tick")


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


def check_steps_awaited(call, step):
    """Every step(...) call was awaited: a coroutine object that never runs takes no step."""
    lost = step.made - len(step.log)
    check(
        lost == 0,
        call,
        f"{lost} step(...) call(s) never awaited, so those steps never happened",
        "every step awaited",
        "`await step(name, i)`: calling an async function only creates a coroutine object.",
    )


def check_same_steps(call, step, wanted):
    """The right steps, in any order: a missing or extra step is a different mistake from the order."""
    check(
        step.log,
        call,
        "no step at all: the workers never ran",
        " ".join(wanted),
        "Calling worker(...) only creates a coroutine object: wrap it in asyncio.create_task(...) "
        "(and await the task) so it runs.",
    )
    check(
        sorted(step.log) == sorted(wanted),
        call,
        f"the steps {' '.join(step.log)}",
        "steps 1 to count of each worker, each once",
        "A worker takes steps 1 to count: `for i in range(1, count + 1)`.",
    )


def test_worker_takes_its_steps_in_order(learner):
    """worker(step, "B", 3) takes B1, B2, B3, one after another: 3 s for 3 steps of 1 s"""
    step = Step(delay=1.0)
    call = learner.run("worker", step, "B", 3)
    call.result()
    check_steps_awaited(call, step)
    check(step.log == ["B1", "B2", "B3"], call, f"the steps {step.log}", "['B1', 'B2', 'B3']")
    check(abs(call.loop_time - 3.0) < 1e-6, call, f"{call.loop_time:g} s of loop time", "3 s", "Await each step before the next.")


def test_take_turns_interleaves_two_workers(learner):
    """take_turns(step, ["A", "B"], 3) runs both workers at once: A1 B1 A2 B2 A3 B3"""
    step = Step()
    advice = messages.PLAIN_DEF.format(function="take_turns")
    call = learner.run("take_turns", step, ["A", "B"], 3, plain_def=advice)
    call.result()
    check_steps_awaited(call, step)
    check_same_steps(call, step, ["A1", "B1", "A2", "B2", "A3", "B3"])
    check(
        step.log == ["A1", "B1", "A2", "B2", "A3", "B3"],
        call,
        f"the steps in the order {' '.join(step.log)}",
        "A1 B1 A2 B2 A3 B3",
        "`await worker(...)` runs one worker to its end before the next line. Start each worker as "
        "a task (asyncio.create_task) before you await any of them.",
    )
    check(
        not call.run.leaked,
        call,
        f"tasks still running when it returned ({', '.join(call.run.leaked)})",
        "every worker done",
        "Await every task you create before you return.",
    )


def test_take_turns_returns_when_its_workers_are_done(learner):
    """take_turns(step, ["A", "B"], 3) with steps of 1 s returns at 3 s, when both workers are done"""
    step = Step(delay=1.0)
    call = learner.run("take_turns", step, ["A", "B"], 3)
    call.result()
    check_steps_awaited(call, step)
    check(
        not call.run.leaked,
        call,
        f"it return at {call.loop_time:g} s with tasks still running ({', '.join(call.run.leaked)})",
        "every worker done",
        "Await every task you create before you return.",
    )
    check(
        abs(call.loop_time - 3.0) < 1e-6,
        call,
        f"it return at {call.loop_time:g} s of loop time, though its workers were done at 3 s",
        "3 s",
        "Wait for the tasks themselves (`await task` for each): a sleep only guesses how long they take.",
    )


def test_download_runs_while_working(learner):
    """download_while_working does 3 steps of 1 s during a 4 s download: 4 s in all"""
    download = Probe("download", delay=4.0)
    step = Step(delay=1.0)
    advice = messages.PLAIN_DEF.format(function="download_while_working")
    call = learner.run("download_while_working", download, "https://example.org/big.zip", step, 3, plain_def=advice)
    page = call.result()
    check(
        not call.run.leaked,
        call,
        f"tasks still running when it returned ({', '.join(call.run.leaked)})",
        "the download finished and awaited",
        "Await the download task before you return: `return await task`.",
    )
    check(page == "result of https://example.org/big.zip", call, f"the result {page!r}", "the download's result")
    check_steps_awaited(call, step)
    check(step.log == ["work1", "work2", "work3"], call, f"the steps {step.log}", "['work1', 'work2', 'work3']")
    started = download.events[0].at
    ended = max(e.at for e in download.events)
    if abs(call.loop_time - 4.0) > 1e-6:
        if started > 0:
            saw = f"the download start only at {started:g} s, after your work: {call.loop_time:g} s of loop time"
            advice = "`download(url)` alone does nothing: `task = asyncio.create_task(download(url))` starts it."
        else:
            saw = f"the download run first (0–{ended:g} s), your work after it: {call.loop_time:g} s of loop time"
            advice = "Awaiting the download waits for it to finish. Start it as a task, work, then `await task`."
        check(False, call, saw, "4 s (the download runs while you work)", advice)


def test_crunch_lets_a_heartbeat_tick(learner):
    """crunch returns the squares in order and lets the heartbeat tick after every item"""
    process = Process()
    call = learner.run("crunch", process, [3, 1, 2])
    result = call.result()
    check(result == [9, 1, 4], call, f"the result {result!r}", "[9, 1, 4]")
    back_to_back = [(a, b) for a, b in zip(process.log, process.log[1:]) if isinstance(a, int) and isinstance(b, int)]
    check(
        not back_to_back,
        call,
        f"the log {process.log}",
        "a tick after each item: [3, 'tick', 1, 'tick', 2, ...]",
        "Pause with `await asyncio.sleep(0)` after each item.",
    )
