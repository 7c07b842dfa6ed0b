"""Comparisons a learner's object cannot fake: expect.same, each_item_once, exception groups."""

from types import SimpleNamespace

import pytest

from grader.expect import CheckFailed, each_item_once, same
from grader.learner import first_leaf, holds, members
from grader.probes import Probe


class Agreeable(str):
    """A str that says it equals anything, with a real key's hash."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return hash(str(self))


def test_values_and_keys_that_say_they_are_equal_are_not():
    assert same({"a": 1, "b": [2, "x"]}, {"a": 1, "b": [2, "x"]})
    assert not same(Agreeable("nope"), "Hello, Ada!")
    assert not same(["Hello", Agreeable("?")], ["Hello", "Ada"])
    assert not same({Agreeable("x"): 1, Agreeable("y"): 2}, {"a": 1, "b": 2})
    assert not same({"a": Agreeable("?")}, {"a": "A"})
    assert not same({"a": 1}, {"a": 1, "b": 2}) and not same({"a": 1, "b": 2}, {"a": 1, "c": 2})
    error = ValueError("bad")
    assert same([error], [error]) and not same([ValueError("bad")], [error])


def test_a_fake_exception_group_holds_nothing():
    wanted, other = ValueError("bad b"), KeyError("other")

    class Posing(Exception):  # says it is a group and what it holds
        exceptions = (wanted,)

        @property
        def __class__(self):
            return ExceptionGroup

    class Overriding(ExceptionGroup):  # a real group that lies about what it holds
        @property
        def exceptions(self):
            return (wanted,)

    assert isinstance(Posing(), ExceptionGroup)  # what fooled the checks
    assert holds(ExceptionGroup("outer", [ExceptionGroup("inner", [other, wanted])]), wanted)
    assert holds(wanted, [other, wanted]) and not holds(None, [wanted])
    assert not holds(Posing(), wanted) and members(Posing()) == ()
    assert not holds(Overriding("fake", [other]), wanted)
    assert first_leaf(Overriding("fake", [other])) is other


def test_each_item_once_is_not_fooled_by_a_lookalike_item():
    class Lookalike:
        def __repr__(self):
            return "'b'"

    fetch = Probe()
    for item in ("a", Lookalike()):
        fetch(item).close()
    call = SimpleNamespace(text="fetch_all(fetch, ['a', 'b'])")
    with pytest.raises(CheckFailed, match="objects that print like the items but are not them"):
        each_item_once(call, fetch, ["a", "b"])
    fetch.calls[1] = "b"
    each_item_once(call, fetch, ["b", "a"])


def test_a_plain_def_returning_coroutines_is_told_so_in_words():
    from grader.learner import _returned

    async def fetch(item):
        return item

    made = [fetch(1), fetch(2)]
    assert _returned(made) == "a list of 2 coroutine objects, none of them awaited (so none ran)"
    for coroutine in made:
        coroutine.close()
    assert _returned([1, 2]) == "[1, 2]"
