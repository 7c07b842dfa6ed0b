"""Probes: async fakes handed to learner code that record what happened to them."""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Coroutine, Hashable

from grader.loop import current_loop
from grader.timeline import Span


@dataclass(frozen=True)
class Event:
    """One thing a probe saw, at a loop time (the check's loop starts at 0)."""

    kind: str  # "start", "finish", "fail", "cancel"
    item: Any
    at: float
    call: int  # index of the call in Probe.calls


class ForeignLoop(RuntimeError):
    """A probe was awaited on an event loop other than the one the check started."""


class Probe:
    """An async callable ``probe(item)`` that takes ``delay(item)`` seconds of loop time.

    It returns ``result(item)``, or raises ``errors[item]`` after the delay. It records
    every call, start, finish and cancellation, and the peak number of calls in flight.
    """

    def __init__(
        self,
        name: str = "fetch",
        *,
        delay: float | Callable[[Any], float] = 1.0,
        result: Callable[[Any], Any] = lambda item: f"result of {item}",
        errors: dict[Hashable, BaseException] | None = None,
    ) -> None:
        self.name = name
        self._delay = delay if callable(delay) else (lambda _item, d=delay: d)
        self._result = result
        self.errors = dict(errors or {})
        self.calls: list[Any] = []
        self.events: list[Event] = []
        self.in_flight = 0
        self.peak = 0
        self.foreign_loop = False
        self._handed_out: list[Coroutine] = []
        self._entered: set[int] = set()  # calls whose coroutine began to run

    def delay(self, item: Any) -> float:
        return self._delay(item)

    def expected(self, item: Any) -> Any:
        """What a call with ``item`` returns (the exception object if it fails)."""
        return self.errors.get(item) if item in self.errors else self._result(item)

    def __call__(self, item: Any) -> Coroutine[Any, Any, Any]:
        self.calls.append(item)
        coroutine = self._run(item, len(self.calls) - 1)
        coroutine.__qualname__ = f"{self.name}({item!r})"  # how a leaked task is named to the learner
        self._handed_out.append(coroutine)
        return coroutine

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()  # a check's loop starts at 0

    async def _run(self, item: Any, call: int) -> Any:
        self._entered.add(call)
        if asyncio.get_running_loop() is not current_loop.get():
            self.foreign_loop = True
            raise ForeignLoop(f"{self.name}({item!r}) awaited on a foreign event loop")
        self.events.append(Event("start", item, self._now(), call))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay(item))
            if item in self.errors:
                self.events.append(Event("fail", item, self._now(), call))
                raise self.errors[item]
            self.events.append(Event("finish", item, self._now(), call))
            return self._result(item)
        except asyncio.CancelledError:
            self.events.append(Event("cancel", item, self._now(), call))
            raise
        finally:
            self.in_flight -= 1

    # --- what the checks read -------------------------------------------------

    @property
    def started(self) -> list[Any]:
        return [e.item for e in self.events if e.kind == "start"]

    @property
    def ended(self) -> list[Any]:
        """Items in the order their calls returned or raised."""
        return [e.item for e in self.events if e.kind in ("finish", "fail")]

    def never_awaited(self) -> int:
        """How many coroutines the probe handed out never began to run (closing them)."""
        for coroutine in self._handed_out:
            if inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()
        return len(self.calls) - len(self._entered)

    def spans(self) -> list[Span]:
        """One span per started call, in start order; ``end`` is None if it never ended."""
        ends = {e.call: e for e in self.events if e.kind != "start"}
        return [
            Span(repr(e.item), e.at, ends[e.call].at if e.call in ends else None, ends[e.call].kind if e.call in ends else "running")
            for e in self.events
            if e.kind == "start"
        ]

    def expected_together(self) -> list[Span]:
        """The schedule of these calls all started at once: each ends after its own delay."""
        return [Span(repr(item), 0.0, self.delay(item), "finish") for item in self.calls]
