"""The learner's tasks as a check sees them: which are the learner's own, and where each waits.

In one process a check walks a task's await chain to the asyncio primitive it is paused in.
Judged apart (``grader.remote``) the learner's tasks live in its process: the judge keeps a
stand-in task for each, with the wait its process reported (``told``), and runs the calls the
learner's tasks make of judge callables in tasks of its own (``serving``), which in one process
would run inside the learner's task and so are not the learner's.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Iterable

PRIMITIVES = (asyncio.Queue, asyncio.Lock, asyncio.Semaphore, asyncio.Event, asyncio.Condition, asyncio.Barrier)


@dataclass(frozen=True)
class Wait:
    """A task paused in a method of an asyncio primitive (``Queue.get``, ``Lock.acquire``...)."""

    task: str  # the task's coroutine name (``consumer``), else the task's name
    method: str  # "get", "put", "join", "acquire", "wait"...
    kind: str  # the primitive: "Queue", "Lock", "Semaphore", "Event", "Condition" or "Barrier"
    key: int  # which primitive: the same number for the same object within a run
    unfinished: int = 0  # a queue's items taken or waiting without their task_done()


told: weakref.WeakKeyDictionary[asyncio.Task, Wait] = weakref.WeakKeyDictionary()
serving: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()


def task_name(task: asyncio.Task) -> str:
    return getattr(task.get_coro(), "__qualname__", None) or task.get_name()


def own(tasks: Iterable[asyncio.Task]) -> set[asyncio.Task]:
    """``tasks`` without the judge's tasks that serve a call made inside a learner task."""
    return {t for t in tasks if t not in serving}


def wait_of(task: asyncio.Task) -> Wait | None:
    """Where ``task`` is paused: the first asyncio primitive along its await chain, if any."""
    if task in told:
        return told[task]
    coroutine = task.get_coro()
    while coroutine is not None:
        frame = getattr(coroutine, "cr_frame", None)
        owner = frame.f_locals.get("self") if frame is not None else None
        if isinstance(owner, PRIMITIVES):
            kind = next(p for p in PRIMITIVES if isinstance(owner, p)).__name__
            unfinished = getattr(owner, "_unfinished_tasks", 0) if kind == "Queue" else 0
            return Wait(task_name(task), frame.f_code.co_name, kind, id(owner), unfinished)
        coroutine = getattr(coroutine, "cr_await", None)
    return None


def waits(tasks: Iterable[asyncio.Task]) -> list[Wait]:
    """The waits of those of ``tasks`` that are paused in an asyncio primitive."""
    return [w for t in tasks if (w := wait_of(t)) is not None]
