"""The checks' ``learner`` for a learner judged in another process: the kit's ``Learner.run``
API on top of ``run_remote``, so a check suite runs unchanged while the learner's module is never
imported here.

What the learner's process reports becomes the kit's ``Run``: its value (builtin, ``Opaque``,
``RemoteError`` or the judge's own exception), what its guards saw (blocking calls, a held
loop, a callback budget passed, exceptions never retrieved); what the judge saw itself (loop
time, a hang, the backstop) stays the judge's. The harness's usual verdicts then follow from
``Call.fail_on_harness_findings``.
"""

from __future__ import annotations

import atexit
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader import messages
from grader.blocking import BlockingCall, HeldLoop, Location
from grader.catalog import Exercise
from grader.failure import CheckFailed
from grader.learner import Call, describe_call, error_text, first_leaf, syntax_failure
from grader.loop import CALLBACK_BUDGET, LOOP_LIMIT, Run
from grader.remote.forkserver import ForkServer
from grader.remote.judge import HELD_LIMIT, Outcome, run_remote

ENDED_EARLY = (
    "Called {call}. Your code ended its own process before {function} returned ({status}): an `os._exit`, "
    "a crash in C code or a signal. Let {function} return its result, or raise an exception."
)
BROKE_PROTOCOL = "Called {call}. Its process could not be judged: {why}."


@functools.cache
def fork_server() -> ForkServer:
    """This process's fork server, started at its first use (it ends when its control socket
    closes: at exit, or when a sandbox's fork of the session ends)."""
    server = ForkServer()
    atexit.register(server.close)
    return server


def server_pids() -> frozenset[int]:
    """The process of this process's fork server, if one was started."""
    return frozenset({fork_server().process.pid}) if fork_server.cache_info().currsize else frozenset()


class RemoteLearner:
    """One exercise of one submission, judged apart: same ``run``, ``coroutine_function`` and
    ``is_async_def`` as ``grader.learner.Learner``."""

    def __init__(self, exercise: Exercise, folder: Path, server: Any = None, held_limit: float = HELD_LIMIT,
                 memory: dict | None = None) -> None:
        self.exercise = exercise
        self.held_limit = held_limit  # real seconds one step of the learner's code may take
        self.folder = folder
        self.path = (folder / exercise.filename).resolve()
        self.server = server
        # what each function is, and the functions a run had to stop (held without end), for the run's
        # next checks: shared between them, as one process keeps its imported module
        self._memory = {} if memory is None else memory

    @property
    def files(self) -> frozenset[str]:
        return frozenset({str(self.path)})

    def _kind(self, name: str) -> str:
        """What ``name`` is, asked of a learner process once (an import failure is remembered)."""
        if ("held", self.path, name) in self._memory:  # running it again would only wait for the same limit
            raise CheckFailed(messages.STUCK_BEFORE.format(function=name))
        if ("kind", self.path, name) not in self._memory:
            self._memory[("kind", self.path, name)] = self._ask_kind(name)
        found = self._memory[("kind", self.path, name)]
        if isinstance(found, CheckFailed):
            raise CheckFailed(found.message, found.advice)
        return found

    def _ask_kind(self, name: str) -> str | CheckFailed:
        if not self.path.is_file():
            return CheckFailed(messages.MISSING_FILE.format(
                file=self.path.name, folder=self.folder, stub=f"exercises/{self.exercise.name}/{self.path.name}"))
        outcome = run_remote(self.path, name, (), server=self.server, kind_only=True, held_limit=self.held_limit)
        error = outcome.error
        if outcome.held is not None or outcome.hung or outcome.busy:
            return CheckFailed(messages.IMPORT_TIMEOUT.format(file=self.path.name, line="?"))
        if outcome.ended_early:
            return CheckFailed(messages.IMPORT_ENDED.format(
                file=self.path.name, status=outcome.exit_status or outcome.ended_early))
        if isinstance(error, SyntaxError):
            return syntax_failure(error, self.path)
        if isinstance(error, AttributeError) and not outcome.where(error):
            return CheckFailed(messages.MISSING_FUNCTION.format(file=self.exercise.filename, function=name))
        if error is not None:
            frames = outcome.where(error)
            line = frames[-1][0] if frames else "?"
            return CheckFailed(messages.IMPORT_FAILED.format(file=self.path.name, line=line, error=error_text(error)))
        if outcome.value == "not callable":
            return CheckFailed(messages.MISSING_FUNCTION.format(file=self.exercise.filename, function=name))
        return outcome.value

    def _remember_held(self, name: str, outcome: Outcome) -> None:
        if outcome.held is not None:
            self._memory[("held", self.path, name)] = True

    def is_async_def(self, name: str) -> bool:
        return self._kind(name) == "coroutine function"

    def function(self, name: str) -> Callable[..., Any]:
        """A stand-in for the learner's ``name``, of its kind (``inspect`` tells an ``async def``,
        an async generator function or a plain one as it would the real one); it runs nothing."""
        return _stand_in(self._kind(name), name)

    def coroutine_function(self, name: str, advice: str | None = None) -> None:
        kind = self._kind(name)
        if kind == "async generator function":
            raise CheckFailed(messages.ASYNC_GENERATOR.format(function=name), advice)
        if kind != "coroutine function":
            raise CheckFailed(messages.NOT_ASYNC_DEF.format(function=name), advice)

    def run(
        self, name: str, *args: Any, limit: float = LOOP_LIMIT, budget: int = CALLBACK_BUDGET,
        hang_causes: tuple[str, ...] = (), plain_def: str | None = None,
    ) -> Call:
        """``Learner.run``, with ``name(*args)`` running in a learner process."""
        if plain_def is None:
            self._kind(name)
        else:
            self.coroutine_function(name, plain_def)
        outcome = run_remote(self.path, name, args, limit, server=self.server, budget=budget, held_limit=self.held_limit)
        text = describe_call(name, args)
        self._remember_held(name, outcome)
        if outcome.ended_early:
            raise _ended(text, name, outcome)
        probes = [a for a in args if hasattr(a, "spans") and hasattr(a, "never_awaited")]
        for probe in probes:  # calls made in the learner's process but never awaited never reach the probe
            _count_unawaited(probe, outcome.unawaited.get(probe.name, 0))
        call = RemoteCall(name, text, as_run(outcome), self, probes, outcome)
        call.fail_on_harness_findings(limit, budget, hang_causes)
        return call


    def run_scenario(
        self, name: str, scenario: Any, *, text: str, probes: tuple[Any, ...] = (), limit: float = LOOP_LIMIT,
        budget: int = CALLBACK_BUDGET, hang_causes: tuple[str, ...] = (),
    ) -> Call:
        """``Learner.run_scenario``: ``scenario(function)`` runs here, on the judge's loop, and its
        ``function(*args)`` runs ``name`` in a learner process."""
        self.coroutine_function(name)
        outcome = run_remote(self.path, name, (), limit, server=self.server, budget=budget, scenario=scenario,
                             held_limit=self.held_limit)
        self._remember_held(name, outcome)
        if outcome.ended_early:
            raise _ended(text, name, outcome)
        for probe in probes:
            _count_unawaited(probe, outcome.unawaited.get(probe.name, 0))
        call = RemoteCall(name, text, as_run(outcome), self, list(probes), outcome)
        call.fail_on_harness_findings(limit, budget, hang_causes)
        return call


def _ended(call: str, function: str, outcome: Outcome) -> CheckFailed:
    if outcome.exit_status is None:  # it broke the protocol
        return CheckFailed(BROKE_PROTOCOL.format(call=call, why=outcome.ended_early))
    return CheckFailed(ENDED_EARLY.format(call=call, function=function, status=outcome.exit_status))


def _stand_in(kind: str, name: str) -> Callable[..., Any]:
    """A function of the kind ``kind`` that refuses to be called: the learner's runs in its own process."""
    refusal = f"{name} runs in the learner's process: use run or run_scenario"
    if kind == "async generator function":
        async def stand_in(*args: Any, **kwargs: Any) -> Any:
            raise TypeError(refusal)
            yield
    elif kind == "coroutine function":
        async def stand_in(*args: Any, **kwargs: Any) -> Any:
            raise TypeError(refusal)
    else:
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            raise TypeError(refusal)
    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


def _count_unawaited(probe: Any, count: int) -> None:
    """Make ``probe.never_awaited()`` include ``count`` calls it never saw (a prototype's shortcut:
    in the kit the probe would take this count itself)."""
    if count:
        seen = probe.never_awaited
        probe.never_awaited = lambda: seen() + count


def _location(where: tuple | None) -> Location | None:
    return None if where is None else Location(*where)


def as_run(outcome: Outcome) -> Run:
    """The kit's ``Run`` for what a remote run gave."""
    held = [HeldLoop(real, cpu, _location(where), at) for real, cpu, where, at in outcome.held_loop]
    if outcome.held is not None:  # the judge's backstop stopped it: a loop held without end
        held.append(HeldLoop(outcome.held, outcome.held, None, outcome.loop_time))
    return Run(
        value=outcome.value,
        error=outcome.error,
        loop_time=outcome.loop_time,
        real_time=outcome.real_time,
        hung=outcome.hung,
        ignored_cancel=outcome.ignored_cancel,
        busy=outcome.busy,
        not_awaitable=outcome.not_awaitable,
        blocking=[BlockingCall(what, _location(where), at) for what, where, at in outcome.blocking],
        held=held,
        leaked=outcome.leaked,
        loop_errors=outcome.loop_errors,
        unretrieved=outcome.unretrieved,
    )


class RemoteCall(Call):
    """A ``Call`` whose learner frames come from the learner's process, not a traceback here."""

    def __init__(self, function: str, text: str, run: Run, learner: RemoteLearner, probes: list[Any],
                 outcome: Outcome) -> None:
        super().__init__(function, text, run, learner, probes)
        self.outcome = outcome

    def where(self, error: BaseException) -> str:
        frames = self.outcome.where(first_leaf(error)) or self.outcome.where(error)
        if not frames:
            return messages.NO_LINE_OF_YOURS.format(file=self.learner.exercise.filename)
        line, _, text = frames[-1]
        return f"{self.learner.exercise.filename}:{line} (`{text}`)"

    def _stub_function(self, error: BaseException | None) -> str | None:
        if not isinstance(error, NotImplementedError) or id(error) not in self.outcome.raised_here:
            return None
        frames = self.outcome.where(error)
        return frames[-1][1] if frames else None

