"""The codec and framing on their own, both codecs in this process."""

import json
import math

import pytest

from grader.learner import error_text, type_name
from grader.remote import wire


def through(value, judge=None, learner=None):
    """``value`` sent by the judge, returned by the learner, decoded by the judge."""
    judge = judge or wire.JudgeCodec({})
    learner = learner or wire.LearnerCodec(set(), lambda number, name: None)
    there = learner.decode(json.loads(json.dumps(judge.encode(value))))
    return judge.decode(json.loads(json.dumps(learner.encode(there))))


def test_builtin_values_round_trip_as_exact_types():
    value = [None, True, 3, 2.5, "s", (1, "a"), {1: [b"\x00\xff"]}, {1, 2}, frozenset({"x"})]
    back = through(value)
    assert back == value and [type(v) for v in back] == [type(v) for v in value]
    inf, nan = through([math.inf, math.nan])
    assert inf == math.inf and math.isnan(nan)


def test_the_judges_exceptions_keep_their_identity_inside_the_learners_groups():
    judge, learner = wire.JudgeCodec({}), wire.LearnerCodec(set(), lambda number, name: None)
    error = KeyError("k")
    there = learner.decode(json.loads(json.dumps(judge.encode(error))))
    group = ExceptionGroup("two", [there, ValueError("v")])  # as a TaskGroup in the learner's process
    back = judge.decode(json.loads(json.dumps(learner.encode(group))))
    assert type(back) is ExceptionGroup and back.exceptions[0] is error
    assert type(back.exceptions[1]) is ValueError and str(back) == "two (2 sub-exceptions)"


def test_a_learner_exception_keeps_its_cause_and_context():
    """``raise RuntimeError(...) from None`` in ``except* Exception``: its context still holds the judge's error."""
    judge, learner = wire.JudgeCodec({}), wire.LearnerCodec(set(), lambda number, name: None)
    error = KeyError("k")
    there = learner.decode(json.loads(json.dumps(judge.encode(error))))
    try:
        try:
            raise ExceptionGroup("one", [there])
        except* KeyError:
            raise RuntimeError("wrapped") from None
    except RuntimeError as wrapped:
        back = judge.decode(json.loads(json.dumps(learner.encode(wrapped))))
    assert type(back) is RuntimeError and back.__cause__ is None and back.__suppress_context__
    assert type(back.__context__) is ExceptionGroup and back.__context__.exceptions[0] is error
    with pytest.raises(wire.ProtocolError):
        judge.decode({"exc": {"type": "ValueError", "base": "ValueError", "text": "", "args": [], "cause": 1}})


@pytest.mark.parametrize("kind", ["KeyboardInterrupt", "SystemExit", "GeneratorExit"])
def test_an_exception_that_would_end_the_judge_comes_back_as_a_remote_error(kind):
    """Raised in the judge, a KeyboardInterrupt sent by the learner (a crafted frame did so) ended
    the judge's whole run: it is the learner's error, named, and stops only its check."""
    back = wire.JudgeCodec({}).decode({"exc": {"type": kind, "base": kind, "text": "x", "args": ["x"]}})
    assert type(back) is wire.RemoteError and back.type_name == kind and isinstance(back, Exception)


def test_a_returned_coroutine_keeps_its_name():
    """The kit names a coroutine by its ``__qualname__``: ``fetch('a')`` for a proxy's call."""
    async def fetch():
        pass

    coroutine = fetch()
    coroutine.__qualname__ = "fetch('a')"
    back = wire.JudgeCodec({}).decode(wire.LearnerCodec(set(), lambda number, name: None).encode(coroutine))
    coroutine.close()
    assert back.type_name == "coroutine" and back.__qualname__ == "fetch('a')"


def test_a_judge_exception_of_a_check_defined_type_keeps_its_builtin_base_on_the_learner_side():
    class Refused(ConnectionError):
        pass

    learner = wire.LearnerCodec(set(), lambda number, name: None)
    there = learner.decode(json.loads(json.dumps(wire.JudgeCodec({}).encode(Refused("no")))))
    assert isinstance(there, ConnectionError) and type(there).__name__ == "Refused"


def test_learner_objects_become_opaque_and_callables_cannot_come_back():
    class Mine:
        def __repr__(self):
            return "<mine>"

    learner = wire.LearnerCodec(set(), lambda number, name: None)
    assert wire.JudgeCodec({}).decode(learner.encode([Mine(), len])) == [
        wire.Opaque("Mine", "<mine>"), wire.Opaque("builtin_function_or_method", "<built-in function len>")]
    with pytest.raises(wire.ProtocolError):
        wire.JudgeCodec({}).decode({"proxy": [0, "fetch"]})


def test_the_kits_messages_name_what_a_stand_in_stands_for():
    """``grader.learner.type_name`` reads ``type_name``: an Opaque and a RemoteError name the learner's type."""
    assert [type_name(v) for v in (wire.Opaque("Anything", "[]"), wire.Opaque("Task", "<Task>"), [], 1)] == [
        "Anything", "Task", "list", "int"]
    assert error_text(wire.RemoteError("Oops", "KeyError", "'custom'")) == "Oops: 'custom'"


@pytest.mark.parametrize("data", [
    {"list": [1], "set": []},  # two tags
    [1, 2],  # an untagged list
    {"exc": {"ref": 0}},  # a reference to no exception the judge sent
    {"set": [{"list": []}]},  # an unhashable member
    {"nested": 1},
], ids=["two-tags", "untagged", "bad-ref", "unhashable", "unknown-tag"])
def test_malformed_values_are_refused(data):
    with pytest.raises(wire.ProtocolError):
        wire.JudgeCodec({}).decode(data)


def test_deep_values_are_refused_and_encoded_as_opaque():
    deep = []
    for _ in range(100):
        deep = [deep]
    encoded = wire.LearnerCodec(set(), lambda number, name: None).encode(deep)
    assert wire.JudgeCodec({}).decode(encoded) is not None
    with pytest.raises(wire.ProtocolError):
        wire.JudgeCodec({}).decode(json.loads('{"list":' * 100 + "[]" + "}" * 100))


def test_frames_split_anywhere_and_oversized_ones_are_refused():
    data = wire.pack({"op": "idle"}) + wire.pack({"op": "done"})
    reader = wire.FrameReader(wire.MAX_FRAME)
    assert reader.feed(data[:5]) == [] and reader.feed(data[5:]) == [{"op": "idle"}, {"op": "done"}]
    with pytest.raises(wire.ProtocolError):
        wire.FrameReader(wire.MAX_FRAME).feed((wire.MAX_FRAME + 1).to_bytes(4, "big"))
    with pytest.raises(wire.ProtocolError):
        wire.FrameReader().feed(len(b"NaN").to_bytes(4, "big") + b"NaN")
