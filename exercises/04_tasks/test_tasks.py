"""Visible tests of exercise 04. Run them with: pytest exercises/04_tasks

Your functions get fakes that record what happened to them, on a *virtual-time* loop
(exact, instant): `fetch` notes the name of the task each call ran in, `send` notes each
message with the loop time it was sent at, and notify's `send` waits the way a real
network call does, so a task that nothing keeps a reference to can be garbage-collected.
"""

import asyncio
import gc
import weakref

from grader.failure import CheckFailed
from grader.learner import holds
from grader.probes import Probe


def check(condition, call, saw, expected, advice=None):
    if not condition:
        raise CheckFailed(f"Called {call.text}. Saw {saw}; expected {expected}.", advice)


class NamedFetch(Probe):
    """fetch(item): takes `delay` s of loop time, returns "result of <item>", and notes the
    name of the task it ran in."""

    def __init__(self, **options):
        super().__init__("fetch", **options)
        self.task_names = {}

    async def _run(self, item, call):
        self.task_names[item] = asyncio.current_task().get_name()
        return await super()._run(item, call)


class Send:
    """send(message): notes (message, loop time), then lets the loop run something else once."""

    name = "send"

    def __init__(self):
        self.sent = []

    async def __call__(self, message):
        self.sent.append((message, asyncio.get_running_loop().time()))
        await asyncio.sleep(0)


def test_fetch_named_runs_tasks_together(learner):
    """fetch_named: 3 fetches of 1 s in 1 s of loop time, returning {task name: result}"""
    fetch = NamedFetch(delay=1.0)
    call = learner.run("fetch_named", fetch, ["pear", "fig", "kiwi"])
    got = call.result()
    check(
        call.loop_time == 1.0 and fetch.peak == 3,
        call,
        f"{call.loop_time:g} s of loop time, at most {fetch.peak} fetch(es) at once",
        "1 s, all 3 at once",
        "Create every task first; await them only after that.",
    )
    wanted = {"fetch pear": "result of pear", "fetch fig": "result of fig", "fetch kiwi": "result of kiwi"}
    check(got == wanted, call, f"the result {got!r}", repr(wanted))


def test_fetch_named_names_its_tasks(learner):
    """fetch_named runs each fetch in a task named "fetch <item>\""""
    fetch = NamedFetch(delay=1.0)
    call = learner.run("fetch_named", fetch, ["kiwi", "fig"])
    call.result()
    wanted = {"kiwi": "fetch kiwi", "fig": "fetch fig"}
    check(
        fetch.task_names == wanted,
        call,
        f"the fetches running in tasks named {fetch.task_names}",
        str(wanted),
        "asyncio.create_task(fetch(item), name=f\"fetch {item}\")",
    )


def test_heartbeat_beats_and_stops_when_cancelled(learner):
    """heartbeat(send, 1) beats at 0, 1, 2 s; cancelled at 2.5 s it sends "stopped" and ends cancelled"""
    send = Send()
    ended = []

    async def scenario(heartbeat):
        task = asyncio.create_task(heartbeat(send, 1.0))
        await asyncio.sleep(2.5)
        task.cancel()
        await asyncio.wait({task}, timeout=3.0)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()
        ended.append("cancelled" if task.cancelled() else "returned" if task.done() else "still running")

    call = learner.run_scenario("heartbeat", scenario, text="heartbeat(send, 1) as a task, cancelled at 2.5 s")
    call.result()
    wanted = [("beat", 0.0), ("beat", 1.0), ("beat", 2.0), ("stopped", 2.5)]
    check(
        send.sent == wanted,
        call,
        f"the messages {send.sent}",
        str(wanted),
        "Send, then sleep, in a loop. When cancelled, send \"stopped\" and re-raise the CancelledError: "
        "a cancelled task must stop.",
    )
    check(
        ended == ["cancelled"],
        call,
        f"the task {ended[0]}",
        "a cancelled task",
        "After sending \"stopped\", re-raise the CancelledError (a bare `raise`).",
    )


class Job(Probe):
    """job(): takes `delay` s of loop time, then returns "result of job" (or raises its error)."""

    def __call__(self):
        return super().__call__("job")


def test_with_heartbeat_beats_while_the_job_runs(learner):
    """with_heartbeat beats at 0, 1, 2 s during a 2.5 s job, stops the heartbeat, returns the job's result"""
    job = Job("job", delay=2.5, result=lambda _item: "report ready")
    send = Send()
    causes = ("awaiting the heartbeat task (it never ends on its own) instead of cancelling it",
              "a heartbeat that catches its CancelledError and runs on")
    call = learner.run("with_heartbeat", job, send, 1.0, limit=30, hang_causes=causes)
    got = call.result()
    wanted = [("beat", 0.0), ("beat", 1.0), ("beat", 2.0), ("stopped", 2.5)]
    check(send.sent == wanted, call, f"the messages {send.sent}", str(wanted))
    check(got == "report ready", call, f"the result {got!r}", "'report ready'")
    check(
        not call.run.leaked,
        call,
        f"tasks still running when it returned ({', '.join(call.run.leaked)})",
        "the heartbeat stopped",
        "After cancel(), wait for the task to stop: `await asyncio.wait({task})`.",
    )


def test_with_heartbeat_stops_it_when_the_job_fails(learner):
    """with_heartbeat stops the heartbeat when the job fails at 1.5 s, and lets the job's error out"""
    error = RuntimeError("the job crashed")
    job = Job("job", delay=1.5, errors={"job": error})
    send = Send()
    call = learner.run("with_heartbeat", job, send, 1.0, limit=30)
    check(
        holds(call.run.error, error),
        call,
        f"{'no error' if call.run.error is None else repr(call.run.error)}",
        "the job's RuntimeError('the job crashed') (alone or in an ExceptionGroup)",
        "Don't catch the job's exception: stop the heartbeat and let the error out.",
    )
    check(
        not call.run.leaked,
        call,
        f"the heartbeat still running when the job's error came out ({', '.join(call.run.leaked)})",
        "the heartbeat stopped",
        "Put the cancel (and the wait) in a `finally:` around `await job()`, so it runs when the job fails too.",
    )
    wanted = [("beat", 0.0), ("beat", 1.0), ("stopped", 1.5)]
    check(send.sent == wanted, call, f"the messages {send.sent}", str(wanted))


class SlowSend:
    """send(message) for notify: delivers after 2 s, waiting the way a network call does
    (nothing the loop owns refers to the task meanwhile). error: raised instead."""

    name = "send"

    def __init__(self, error=None):
        self.error = error
        self.log = []
        self.task = None
        self.kept = False  # the task still referenced 0.5 s after it was done

    async def __call__(self, message):
        loop = asyncio.get_running_loop()
        self.task = weakref.ref(asyncio.current_task())
        self.log.append(("started", loop.time()))
        gate = loop.create_future()
        loop.call_later(2.0, open_gate, weakref.ref(gate))
        try:
            await gate
        except GeneratorExit:
            self.log.append(("destroyed by the garbage collector", loop.time()))
            raise
        if self.error is not None:
            raise self.error
        self.log.append(("delivered", loop.time()))


def open_gate(ref):
    gate = ref()
    if gate is not None and not gate.done():
        gate.set_result(None)


def run_notify(learner, send, failures):
    async def scenario(notify):
        gc.freeze()  # older objects stay out of the collection below: it takes microseconds
        try:
            await notify(send, "build finished", failures)
            send.log.append(("notify returned", asyncio.get_running_loop().time()))
            await asyncio.sleep(0.5)
            gc.collect()  # the garbage collector runs while the send is waiting
            await asyncio.sleep(2.0)
            gc.collect()
            send.kept = send.task is not None and send.task() is not None
        finally:
            gc.unfreeze()

    return learner.run_scenario("notify", scenario, text="notify(send, 'build finished', failures)")


def test_notify_sends_in_the_background(learner):
    """notify returns at once, and the send is delivered at 2 s even if the garbage collector runs"""
    send = SlowSend()
    call = run_notify(learner, send, [])
    call.result()
    wanted = [("started", 0.0), ("notify returned", 0.0), ("delivered", 2.0)]
    check(
        sorted(send.log) == sorted(wanted),
        call,
        f"{send.log}",
        f"{wanted}",
        "Start the send as a task, keep a reference to it (a set), and return without awaiting it.",
    )
    check(
        not send.kept,
        call,
        "its task still referenced 0.5 s after the send was done: each notify leaves one more task behind",
        "the reference dropped once the task is done",
        "Drop it in a done callback: `task.add_done_callback(background.discard)`.",
    )


def test_notify_keeps_a_failed_sends_exception(learner):
    """notify puts the exception of a failed send into failures"""
    error = ConnectionError("mail server down")
    send = SlowSend(error=error)
    failures = []
    call = run_notify(learner, send, failures)
    call.result()
    check(
        len(failures) == 1 and failures[0] is error,
        call,
        f"failures = {failures!r}",
        "[ConnectionError('mail server down')]",
        "In a done callback: `if not task.cancelled() and task.exception() is not None: failures.append(task.exception())`.",
    )
