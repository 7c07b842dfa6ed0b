"""The learner's side of a check: load their module by path, call their coroutines."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import re
import reprlib
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Awaitable, Callable, Iterator

from grader import messages
from grader.catalog import Exercise
from grader.failure import CheckFailed, is_time_limit
from grader.loop import CALLBACK_BUDGET, LOOP_LIMIT, Run, run_coroutine
from grader.probes import Probe
from grader.timeline import Mark, Span, render
from grader.scan import blocking_calls

TEXT_LIMIT = 2000  # characters of an exception's text looked at (a learner's can be megabytes)
_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxlist = 8


def short(value: Any) -> str:
    """A repr cut to a readable length; a learner object whose repr fails still prints."""
    try:
        return _repr.repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"


def type_name(value: Any) -> str:
    """The name of ``value``'s type, as messages give it. A stand-in for an object of another process
    (a learner judged in a process of its own, where the judge only holds a description) names that
    object's type in a str attribute ``type_name``, read without running any of its code."""
    named = inspect.getattr_static(value, "type_name", None)
    return named if type(named) is str else type(value).__name__


FUTURE_TYPES = ("Future", "Task", "_GatheringFuture")  # asyncio's futures, as a stand-in names them


def describe_call(function: str, args: tuple) -> str:
    """``fetch_all(fetch, ['b', 'a', 'c'])``: callables show by name, values by a short repr."""
    shown = [_name_of(arg) if callable(arg) else short(arg) for arg in args]
    return f"{function}({', '.join(shown)})"


def _name_of(function: Callable) -> str:
    return str(getattr(function, "name", None) or getattr(function, "__name__", "function"))


def error_text(error: BaseException) -> str:
    """``Kind: text`` of an exception, and for a TaskGroup's ExceptionGroup the first error inside it;
    the harness's own file paths (in a task's repr, say) are left out."""
    text = re.sub(r"\S*[/\\]grader[/\\](\w+\.py)", r"\1", str(error)[:TEXT_LIMIT]).rstrip(".")
    said = f"{type_name(error)}: {text}" if text else type_name(error)
    inner = first_leaf(error)
    return f"{said}, holding {error_text(inner)}" if inner is not error else said


def first_leaf(error: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups; ``error`` itself when it is not one."""
    while inner := members(error):
        error = inner[0]
    return error


_MEMBERS = BaseExceptionGroup.exceptions  # the C-level field: a learner's subclass cannot override it


def members(error: object) -> tuple[BaseException, ...]:
    """What an exception group holds, read from the group itself (a learner's class can fake
    ``__class__`` or ``.exceptions``); () for anything that is not an exception group."""
    return _MEMBERS.__get__(error) if issubclass(type(error), BaseExceptionGroup) else ()


def holds(raised: object, wanted: BaseException | list[BaseException]) -> bool:
    """``raised`` is ``wanted`` (one of them, for a list), or a (nested) exception group holding it."""
    found = wanted if isinstance(wanted, list) else [wanted]
    return any(raised is error for error in found) or any(holds(inner, found) for inner in members(raised))


def _handed(arg: Any) -> Any:
    """What the learner's function is given for ``arg``: a Probe as a plain function that calls it,
    so the learner's code cannot reset what the check reads off the probe (its delays, its peak)."""
    if not isinstance(arg, Probe):
        return arg
    call = arg.__call__

    def handle(*args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    handle.__name__ = handle.__qualname__ = arg.name
    return handle


class Learner:
    """One exercise of one submission, as a check sees it."""

    def __init__(
        self, exercise: Exercise, folder: Path, loaded: dict[Path, ModuleType | CheckFailed],
        after_run: Callable[[], None] | None = None,
    ) -> None:
        self.exercise = exercise
        self.folder = folder
        self.path = (folder / exercise.filename).resolve()
        self._loaded = loaded  # the session's modules (or load failures) by path; (path, name) of stuck functions
        self._after_run = after_run  # raises CheckFailed when the run patched the harness

    @property
    def files(self) -> frozenset[str]:
        return frozenset({str(self.path)})

    @property
    def module(self) -> ModuleType:
        """The learner's module, imported once per test session."""
        if self.path not in self._loaded:
            try:
                self._loaded[self.path] = load_module(self.path, self.exercise)
            except CheckFailed as failure:
                self._loaded[self.path] = failure
        found = self._loaded[self.path]
        if isinstance(found, CheckFailed):
            raise CheckFailed(found.message, found.advice)
        return found

    def function(self, name: str) -> Callable[..., Any]:
        found = getattr(self.module, name, None)
        if not callable(found):
            raise CheckFailed(messages.MISSING_FUNCTION.format(file=self.exercise.filename, function=name))
        return found

    def is_async_def(self, name: str) -> bool:
        return inspect.iscoroutinefunction(self.function(name))

    def _runnable(self, name: str) -> Callable[..., Any]:
        """The function, unless an earlier check had to stop it at the real-time limit:
        running it again would only wait for the same limit."""
        if (self.path, name) in self._loaded:
            raise CheckFailed(messages.STUCK_BEFORE.format(function=name))
        return self.function(name)

    def coroutine_function(self, name: str, advice: str | None = None) -> Callable[..., Any]:
        """The function ``name``, which must be defined with ``async def`` (and no ``yield``);
        ``advice`` is the task's own next step for a plain ``def``."""
        function = self._runnable(name)
        if inspect.isasyncgenfunction(function):
            raise CheckFailed(messages.ASYNC_GENERATOR.format(function=name), advice)
        if not inspect.iscoroutinefunction(function):
            raise CheckFailed(messages.NOT_ASYNC_DEF.format(function=name), advice)
        return function

    def _remember_stuck(self, name: str, run: Run) -> Run:
        if run.error is not None and is_time_limit(run.error):
            self._loaded[(self.path, name)] = run.error
        return run

    def run(
        self, name: str, *args: Any, limit: float = LOOP_LIMIT, budget: int = CALLBACK_BUDGET, hang_causes: tuple[str, ...] = (),
        plain_def: str | None = None,
    ) -> Call:
        """Call ``name(*args)`` on a virtual-time loop; fail at once on anything that is never right.

        Blocking calls, a held loop, a hang, a busy wait, a non-async function, a nested
        ``asyncio.run`` and an unimplemented stub each raise CheckFailed with their message.
        What the function returned or raised is left to the check. With ``plain_def`` (the
        task's advice for it), ``name`` must be an ``async def`` before anything runs: a plain
        def returning ``asyncio.gather(...)`` works when awaited but starts its work when called.
        """
        function = self._runnable(name) if plain_def is None else self.coroutine_function(name, plain_def)
        handed = [_handed(a) for a in args]
        run = self._remember_stuck(name, run_coroutine(lambda: function(*handed), files=self.files, limit=limit, budget=budget))
        if self._after_run is not None:
            self._after_run()
        probes = [a for a in args if hasattr(a, "spans") and hasattr(a, "never_awaited")]
        call = Call(name, describe_call(name, args), run, self, probes)
        call.fail_on_harness_findings(limit, budget, hang_causes)
        return call

    def run_scenario(
        self,
        name: str,
        scenario: Callable[[Callable[..., Any]], Awaitable[Any]],
        *,
        text: str,
        probes: tuple[Any, ...] = (),
        limit: float = LOOP_LIMIT,
        budget: int = CALLBACK_BUDGET,
        hang_causes: tuple[str, ...] = (),
    ) -> Call:
        """Run ``scenario(function)`` on the guarded loop: for checks that must set something
        up inside the learner's loop first (a local server, a heartbeat) and then call it.

        ``text`` describes the call for messages, e.g. ``"fetch_pages(session, urls)"``;
        ``probes`` are the recorders whose schedule a message may draw.
        """
        function = self.coroutine_function(name)
        run = self._remember_stuck(name, run_coroutine(lambda: scenario(function), files=self.files, limit=limit, budget=budget))
        if self._after_run is not None:
            self._after_run()
        call = Call(name, text, run, self, list(probes))
        call.fail_on_harness_findings(limit, budget, hang_causes)
        return call


class Call:
    """One finished run of a learner function, with the checks every run gets."""

    def __init__(self, function: str, text: str, run: Run, learner: Learner, probes: list[Any]) -> None:
        self.function = function
        self.text = text
        self.run = run
        self.learner = learner
        self.probes = probes  # what was passed in that records a schedule (Probe and its kin)

    def schedule(self, expected: list[Span] | None = None, marks: tuple[Mark, ...] = (), **options: Any) -> str | None:
        """The probes' recorded schedule as a timeline, or None if no probe call started."""
        spans = [span for probe in self.probes for span in probe.spans()]
        if not spans:
            return None
        return render(spans, expected, marks=marks, **options)

    @property
    def loop_time(self) -> float:
        return self.run.loop_time

    def where(self, error: BaseException) -> str:
        """The learner's line that raised (see ``line_of``)."""
        return line_of(error, self.learner)

    def fail_on_harness_findings(self, limit: float, budget: int, hang_causes: tuple[str, ...]) -> None:
        run, exercise = self.run, self.learner.exercise
        unawaited = {id(p): p.never_awaited() for p in self.probes}  # also closes them: no warning later
        if run.not_awaitable is not None:
            raise CheckFailed(messages.NOT_ASYNC.format(function=self.function, got=_returned(run.not_awaitable)))
        named = type_name(run.value)
        if run.finished and run.error is None and (inspect.isawaitable(run.value) or named in ("coroutine", *FUTURE_TYPES)):
            kind = (
                "a Task" if isinstance(run.value, asyncio.Task) or named == "Task"
                else "a future (what asyncio.gather returns)" if isinstance(run.value, asyncio.Future) or named in FUTURE_TYPES
                else f"a coroutine object, {_coroutine_name(run.value)}"
            )
            lost = [f"{n} {p.name}(...) call(s) were never awaited" for p in self.probes if (n := unawaited[id(p)])]
            text = messages.RETURNED_AWAITABLE.format(call=self.text, kind=kind)
            raise CheckFailed(text + (f" ({'; '.join(lost)})." if lost else "."), messages.RETURNED_AWAITABLE_ADVICE)
        if run.blocking:
            first = run.blocking[0]
            where = str(first.where) if first.where else exercise.filename
            what, key = first.what, next((k for k in messages.BLOCKING_ADVICE if first.what.startswith(k)), "default")
            if what == "lock.acquire" and ".result(" in where:  # a concurrent.futures future's result() waits on a lock
                what, key = "a future's .result() (it waits on a lock)", "future.result"
            marks = tuple(Mark(b.at, f"{b.what} at {b.where or exercise.filename}") for b in run.blocking[:3])
            raise CheckFailed(
                messages.BLOCKING_CALL.format(call=self.text, what=what, where=where),
                messages.BLOCKING_ADVICE[key],
                self.schedule(marks=marks),
            )
        if run.held:
            worst = max(run.held, key=lambda h: h.real)
            if run.error is not None and is_time_limit(run.error):
                where = f" (it was stopped at {self.where(run.error)})"
            else:
                where = f" (it paused next at {worst.where})" if worst.where else ""
            found = [f"{f.what} at {exercise.filename}:{f.line}" for f in blocking_calls(self.learner.path)]
            extra = "\n" + messages.STATIC_FINDINGS.format(findings=", ".join(found)) if found else ""
            marks = tuple(Mark(h.at, f"loop held {h.real:.2f} s (real time)") for h in run.held[:3])
            raise CheckFailed(
                messages.LOOP_HELD.format(call=self.text, real=worst.real, cpu=worst.cpu, where=where) + extra,
                messages.LOOP_HELD_ADVICE,
                self.schedule(marks=marks),
            )
        stub = self._stub_function(run.error)
        if stub:
            raise CheckFailed(
                messages.NOT_IMPLEMENTED.format(function=stub, readme=exercise.readme),
                messages.NOT_IMPLEMENTED_LINE.format(where=self.where(run.error)),
            )
        if isinstance(run.error, RuntimeError) and _is_nested_run(run.error):
            advice = None if self.learner.is_async_def(self.function) else (
                messages.NOT_ASYNC_DEF.format(function=self.function)
            )
            raise CheckFailed(messages.NESTED_RUN.format(call=self.text, what=_nested_what(run.error)), advice)
        if run.busy:
            raise CheckFailed(
                messages.BUSY_WAIT.format(call=self.text, callbacks=budget, loop_time=run.loop_time), messages.BUSY_WAIT_ADVICE
            )
        if run.hung:
            text = messages.HUNG.format(call=self.text, limit=limit, expected="")
            ends = [span.end for probe in self.probes for span in probe.spans()]
            for probe in self.probes:
                calls = [repr(c) for c in getattr(probe, "calls", [])]
                if len(calls) > 2 * len(set(calls)) + 10:
                    text += messages.CALLS_REPEATED.format(name=probe.name, count=len(calls), distinct=len(set(calls)))
            if ends and None not in ends:
                text += messages.CALLS_DONE.format(count=len(ends), s="" if len(ends) == 1 else "s", at=max(ends))
            if run.ignored_cancel:
                text += messages.IGNORED_CANCEL
            causes = hang_causes or messages.DEFAULT_HANG_CAUSES
            raise CheckFailed(text, messages.HUNG_ADVICE.format(causes="; ".join(causes)), self.schedule())
        if run.unretrieved:
            lost = run.unretrieved[0]
            raise CheckFailed(
                messages.LOST_EXCEPTION.format(call=self.text, error=error_text(lost), where=self.where(lost)),
                messages.LOST_EXCEPTION_ADVICE,
            )

    def _stub_function(self, error: BaseException | None) -> str | None:
        """The learner function that raised NotImplementedError itself (an untouched stub)."""
        if not isinstance(error, NotImplementedError):
            return None
        frames = traceback.extract_tb(error.__traceback__)
        return frames[-1].name if frames and frames[-1].filename in self.learner.files else None

    def result(self) -> Any:
        """The returned value; an exception the learner's code raised fails the check, with its line."""
        error = self.run.error
        if error is not None:
            text = messages.RAISED.format(call=self.text, error=error_text(error), where=self.where(error))
            raise CheckFailed(text, known_advice(error))
        return self.run.value


def line_of(error: BaseException, learner: Learner) -> str:
    """The learner's line ``error`` came from, as messages show it: inside a task for an error a
    TaskGroup wrapped; else the line of what it was raised from or while handling."""
    inside = []
    for raised in (first_leaf(error), error, *_causes(error)):
        inside = [f for f in traceback.extract_tb(raised.__traceback__) if f.filename in learner.files]
        if inside:
            break
    if not inside:
        return messages.NO_LINE_OF_YOURS.format(file=learner.exercise.filename)
    # a cancellation is news where it was awaited (`await task`), not where the task was stopped
    last = inside[0] if isinstance(first_leaf(error), asyncio.CancelledError) else inside[-1]
    return f"{Path(last.filename).name}:{last.lineno} (`{(last.line or '').strip()}`)"


def _causes(error: BaseException, limit: int = 8) -> Iterator[BaseException]:
    """The exceptions ``error`` was raised from or while handling, nearest first (a bounded chain:
    learner code can make it loop)."""
    for _ in range(limit):
        error = error.__cause__ or error.__context__
        if error is None:
            return
        yield error


def known_advice(error: BaseException) -> str | None:
    """The next step for an everyday mistake behind ``error`` (its first leaf, in a group)."""
    inner = first_leaf(error)
    return next((a for kind, fragment, a in messages.KNOWN_ERRORS if isinstance(inner, kind) and fragment in str(inner)), None)


def _returned(value: Any) -> str:
    """What a plain function returned, in words when it is coroutine objects (their reprs say little)."""
    if isinstance(value, (list, tuple)) and value and all(inspect.iscoroutine(v) for v in value):
        return f"a {type(value).__name__} of {len(value)} coroutine objects, none of them awaited (so none ran)"
    return short(value)


def _coroutine_name(coroutine: Any) -> str:
    name = getattr(coroutine, "__qualname__", "?")
    return name if name.endswith(")") else f"{name}(...)"


def _is_nested_run(error: RuntimeError) -> bool:
    text = str(error)
    return "cannot be called from a running event loop" in text or "This event loop is already running" in text


def _nested_what(error: RuntimeError) -> str:
    return "asyncio.run()" if "asyncio.run()" in str(error) else "loop.run_until_complete()"


def _nul_line(path: Path) -> int | None:
    """The line of the first NUL byte in a file (Python's SyntaxError for it has no line)."""
    data = path.read_bytes()
    return data.count(b"\n", 0, data.index(b"\0")) + 1 if b"\0" in data else None


def syntax_failure(error: SyntaxError, path: Path) -> CheckFailed:
    """The one line (and the next step, for async syntax in a plain def) for a file Python cannot read."""
    line = error.lineno or _nul_line(path) or "?"
    about_async = "outside async function" in str(error.msg) or "outside of an asynchronous function" in str(error.msg)
    return CheckFailed(
        messages.SYNTAX_ERROR.format(file=path.name, line=line, msg=error.msg),
        messages.ASYNC_SYNTAX.format(line=line) if about_async else None,
    )


def load_module(path: Path, exercise: Exercise) -> ModuleType:
    """Import the learner's file by path under a private name; failures become one line."""
    folder = path.parent
    if not path.is_file():
        raise CheckFailed(
            messages.MISSING_FILE.format(file=path.name, folder=folder, stub=f"exercises/{exercise.name}/{path.name}")
        )
    name = f"awaitlings_learner_{exercise.name}_{exercise.module}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pickling (process pools) finds functions by module name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise syntax_failure(error, path) from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # SystemExit, a time limit, anything: one line, never a crash
        del sys.modules[name]
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
        line = frames[-1].lineno if frames else "?"
        text = messages.IMPORT_TIMEOUT if is_time_limit(error) else messages.IMPORT_FAILED
        raise CheckFailed(text.format(file=path.name, line=line, error=error_text(error))) from None
    return module
