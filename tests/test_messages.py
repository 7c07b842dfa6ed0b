"""Everyday mistakes get their next step, whatever exercise they happen in."""

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
    ],
)
def test_an_everyday_mistake_gets_its_next_step(make_error, step):
    try:
        error = make_error()
    except Exception as raised:  # noqa: BLE001
        error = raised
    assert step in (known_advice(error) or "")


def test_other_errors_get_no_made_up_advice():
    assert known_advice(ValueError("no such fruit: kiwi")) is None


def _call(value):
    return value()


def _closed(coroutine):
    coroutine.close()  # no "never awaited" warning
    return coroutine
