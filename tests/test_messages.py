"""Everyday mistakes get their next step, whatever exercise they happen in."""

import asyncio

import pytest

from grader.learner import known_advice


async def _coroutine():
    return 1


@pytest.mark.parametrize(
    ("make_error", "step"),
    [
        (lambda: _call(7), "not `count_primes(n)`"),  # run_in_executor(executor, count_primes(n))
        (lambda: _closed(_coroutine()).sockets, "`await` it"),  # server = asyncio.start_server(...)
        (lambda: _closed(_coroutine())(), "not `fetch(url)`"),  # measure(run=fetch(url))
        (lambda: ExceptionGroup("in a TaskGroup", [TypeError("'int' object is not callable")]), "separately"),
        (lambda: _first(Plain()), "`async def __anext__`"),  # __aiter__ returning a plain iterator
        (lambda: _first(StopsWrong()), "StopAsyncIteration"),  # __anext__ raising StopIteration
        (lambda: _first(PlainNext()), "make `__anext__` an `async def`"),  # a plain def __anext__
        (lambda: _awaited(PlainNext().__anext__()), "`__anext__` is an `async def`"),  # await anext(...) on it
    ],
)
def test_an_everyday_mistake_gets_its_next_step(make_error, step):
    try:
        error = make_error()
    except Exception as raised:  # noqa: BLE001
        error = raised
    assert step in (known_advice(error) or "")


class Plain:
    def __aiter__(self):
        return iter(range(3))


class StopsWrong:
    def __aiter__(self):
        return self

    async def __anext__(self):
        raise StopIteration


class PlainNext:
    def __aiter__(self):
        return self

    def __anext__(self):
        return 1


def _awaited(value):
    async def wait():
        return await value

    return asyncio.run(wait())


def _first(iterable):
    async def first():
        async for item in iterable:
            return item

    return asyncio.run(first())


def test_a_line_is_found_in_what_an_error_was_raised_from(tmp_path):
    """Python's own error names no line of the learner's; the StopIteration it came from does."""
    from types import SimpleNamespace

    from grader.learner import line_of

    source = tmp_path / "streams.py"
    source.write_text("class Ticks:\n    def __aiter__(self):\n        return self\n\n"
                      "    async def __anext__(self):\n        raise StopIteration\n")
    namespace = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    try:
        _first(namespace["Ticks"]())
    except RuntimeError as error:
        raised = error
    learner = SimpleNamespace(files=frozenset({str(source)}), exercise=SimpleNamespace(filename="streams.py"))
    assert line_of(raised, learner) == "streams.py:6 (`raise StopIteration`)"
    assert "no line of yours" in line_of(RuntimeError("made elsewhere"), learner)


def test_other_errors_get_no_made_up_advice():
    assert known_advice(ValueError("no such fruit: kiwi")) is None


def _call(value):
    return value()


def _closed(coroutine):
    coroutine.close()  # no "never awaited" warning
    return coroutine
