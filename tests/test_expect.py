"""expect.same: equality that a learner's object cannot fake."""

from grader.expect import same


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
