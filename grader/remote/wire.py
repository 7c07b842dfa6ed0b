"""The wire between the judge and the learner's process: framed JSON and a value codec.

A frame is a 4-byte big-endian length and a JSON object. Values cross as tagged JSON
(``{"list": [...]}``, ``{"exc": {...}}``), so decoding builds nothing but builtin types,
``Opaque`` and ``RemoteError``: the judge never holds an object the learner's code made.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import json
import math
import reprlib
import struct
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

MAX_FRAME = 1 << 20  # bytes in one frame from the learner
MAX_DEPTH = 32  # nesting of one value
MAX_NODES = 200_000  # values in one decoded value
MAX_TEXT = 2000  # characters of an exception's text
MAX_FRAMES = 20  # learner traceback frames kept per exception

_HEADER = struct.Struct(">I")
_CONTAINERS = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}
_BUILD = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}

# Exception types rebuilt as themselves: the builtins and asyncio's own (InvalidStateError, ...).
# never rebuilt as themselves: raised in the judge, one from the learner would stop the judge's process
PROCESS_ENDING = frozenset({"KeyboardInterrupt", "SystemExit", "GeneratorExit"})
ERRORS: dict[str, type[BaseException]] = {
    **{f"asyncio.{n}": getattr(asyncio, n) for n in (*asyncio.exceptions.__all__, "QueueEmpty", "QueueFull")},
    **{n: c for n, c in vars(builtins).items() if isinstance(c, type) and issubclass(c, BaseException)
       and n not in PROCESS_ENDING},
}
_NAMES = {cls: name for name, cls in ERRORS.items()}  # builtins win: TimeoutError, not asyncio.TimeoutError
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 80


class ProtocolError(Exception):
    """What arrived is not a valid frame, message or value."""


@dataclass(frozen=True)
class Opaque:
    """A learner object the judge only sees described: its type's name and a short repr (and a
    coroutine's ``__qualname__``, which the kit reads to name it: ``fetch('a')``)."""

    type_name: str
    text: str
    qualname: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.qualname is not None:
            object.__setattr__(self, "__qualname__", self.qualname)

    def __repr__(self) -> str:
        return self.text


class RemoteError(Exception):
    """An exception of a type the learner's code defined, described: name, nearest builtin base, text."""

    def __init__(self, type_name: str, base: str, text: str) -> None:
        super().__init__(text)
        self.type_name, self.base, self.text = type_name, base, text

    def __repr__(self) -> str:
        return f"RemoteError({self.type_name}: {self.text!r})"


def pack(message: dict) -> bytes:
    body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode()
    return _HEADER.pack(len(body)) + body


def _refuse_constant(name: str) -> None:
    raise ProtocolError(f"{name} is not JSON")


class FrameReader:
    """Splits a byte stream into messages (dicts); refuses a frame longer than ``limit``."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[dict]:
        self._buffer += data
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            if self.limit is not None and size > self.limit:
                raise ProtocolError(f"a frame of {size} bytes (at most {self.limit})")
            if len(self._buffer) < _HEADER.size + size:
                break
            body = bytes(self._buffer[_HEADER.size:_HEADER.size + size])
            del self._buffer[:_HEADER.size + size]
            try:
                message = json.loads(body, parse_constant=_refuse_constant)
            except (ValueError, RecursionError) as error:
                raise ProtocolError(f"a frame that is not JSON: {error}") from None
            if type(message) is not dict:
                raise ProtocolError("a frame that is not a JSON object")
            messages.append(message)
        return messages


def short(value: Any) -> str:
    try:
        return _short.repr(value)
    except Exception:
        return f"<{type(value).__name__} object>"


class Codec:
    """Values to tagged JSON and back. Subclasses say what happens to anything else."""

    def __init__(self) -> None:
        self._nodes = 0

    # --- encoding -------------------------------------------------------------

    def encode(self, value: Any, depth: int = 0) -> Any:
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"float": repr(value)}
        if depth >= MAX_DEPTH:
            return self.encode_other(value, depth)
        if kind in _CONTAINERS:
            return {_CONTAINERS[kind]: [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {"dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if kind is bytes:
            return {"bytes": base64.b64encode(value).decode()}
        if kind is Opaque:
            return {"opaque": [value.type_name, value.text]}
        if isinstance(value, BaseException):
            return self.encode_error(value, depth)
        return self.encode_other(value, depth)

    def describe_error(self, error: BaseException, depth: int) -> dict:
        """The fields every encoded exception has: type, nearest known base, text, args."""
        base = next(c for c in type(error).__mro__ if c in _NAMES)
        body = {
            "type": _NAMES.get(type(error)) or type(error).__name__,
            "base": _NAMES[base],
            "text": _text(error),
        }
        if isinstance(error, BaseExceptionGroup):
            body["args"] = [self.encode(error.message, depth + 1)]
            body["members"] = [self.encode(e, depth + 1) for e in error.exceptions]
        else:
            body["args"] = [self.encode(a, depth + 1) for a in error.args]
        return body

    def encode_error(self, error: BaseException, depth: int) -> Any:
        return {"exc": self.describe_error(error, depth)}

    def encode_other(self, value: Any, depth: int) -> Any:
        raise TypeError(f"cannot send a {type(value).__name__}")

    # --- decoding -------------------------------------------------------------

    def decode(self, data: Any) -> Any:
        self._nodes = 0
        try:
            return self._decode(data, 0)
        except ProtocolError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, RecursionError) as error:
            raise ProtocolError(f"a malformed value: {type(error).__name__}: {error}") from None

    def _decode(self, data: Any, depth: int) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES or depth > MAX_DEPTH + 2:
            raise ProtocolError("a value too large or too deep")
        kind = type(data)
        if data is None or kind in (bool, int, float, str):
            return data
        if kind is not dict or len(data) != 1:
            raise ProtocolError("a value that is not a tagged form")
        ((tag, body),) = data.items()
        if tag in _BUILD:
            return _BUILD[tag](self._decode(v, depth + 1) for v in _list(body))
        if tag == "dict":
            return {self._decode(k, depth + 1): self._decode(v, depth + 1) for k, v in _list(body)}
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "bytes":
            return base64.b64decode(_str(body), validate=True)
        if tag == "opaque":
            type_name, text, *qualname = _list(body)
            return Opaque(_str(type_name)[:200], _str(text)[:MAX_TEXT], *(_str(q)[:200] for q in qualname[:1]))
        if tag == "exc":
            return self.decode_error(body, depth)
        return self.decode_other(tag, body, depth)

    def build_error(self, body: dict, depth: int) -> BaseException | None:
        """An encoded exception as its real type, if the type is known and takes these arguments."""
        cls = ERRORS.get(_str(body["type"]))
        args = [self._decode(a, depth + 1) for a in _list(body["args"])]
        if cls is None:
            return None
        try:
            if issubclass(cls, BaseExceptionGroup):
                return cls(*args, [self._decode(m, depth + 1) for m in _list(body["members"])])
            return cls(*args)
        except Exception:
            return None

    def decode_error(self, body: dict, depth: int) -> BaseException:
        raise NotImplementedError

    def decode_other(self, tag: str, body: Any, depth: int) -> Any:
        raise ProtocolError(f"an unknown tag {tag!r}")


def _text(error: BaseException) -> str:
    try:
        return str(error)[:MAX_TEXT]
    except Exception:
        return f"<unprintable {type(error).__name__}>"


def _list(value: Any) -> list:
    if type(value) is not list:
        raise ProtocolError("a list was expected")
    return value


def _str(value: Any) -> str:
    if type(value) is not str:
        raise ProtocolError("a string was expected")
    return value


class JudgeCodec(Codec):
    """The judge's codec: callables go out as proxies, its exceptions by reference, and
    what comes back becomes builtin values, Opaque, RemoteError, or the judge's own exceptions."""

    def __init__(self, frames: dict[int, tuple[BaseException, list]]) -> None:
        super().__init__()
        self.proxies: list[Callable[..., Any]] = []
        self.sent_errors: list[BaseException] = []  # by ref number
        self.frames = frames  # id(error) -> (error, the learner frames it passed through)
        self.raised_here: set[int] = set()  # ids of errors raised by a line of the learner's file

    def encode_error(self, error: BaseException, depth: int) -> Any:
        if not any(error is e for e in self.sent_errors):
            self.sent_errors.append(error)
        ref = next(n for n, e in enumerate(self.sent_errors) if e is error)
        return {"exc": {**self.describe_error(error, depth), "ref": ref}}

    def encode_other(self, value: Any, depth: int) -> Any:
        if not callable(value):
            return super().encode_other(value, depth)
        if not any(value is p for p in self.proxies):
            self.proxies.append(value)
        number = next(n for n, p in enumerate(self.proxies) if p is value)
        return {"proxy": [number, str(getattr(value, "name", None) or getattr(value, "__name__", "function"))]}

    def _chain(self, error: BaseException, body: dict, depth: int) -> None:
        """Link a learner exception to its ``__cause__`` and ``__context__``, as raised there."""
        for key in ("cause", "context"):
            if key in body:
                linked = self._decode(body[key], depth + 1)
                if not isinstance(linked, BaseException):
                    raise ProtocolError(f"a {key} that is not an exception")
                setattr(error, f"__{key}__", linked)
        error.__suppress_context__ = body.get("suppress") is True

    def decode_error(self, body: dict, depth: int) -> BaseException:
        if type(body) is not dict:
            raise ProtocolError("a malformed exception")
        if "ref" in body:
            if type(body["ref"]) is not int or not 0 <= body["ref"] < len(self.sent_errors):
                raise ProtocolError("a reference to no exception the judge sent")
            error = self.sent_errors[body["ref"]]
        else:
            error = self.build_error(body, depth) or RemoteError(
                _str(body["type"])[:200], _str(body["base"]), _str(body["text"])[:MAX_TEXT]
            )
            self._chain(error, body, depth)
        frames = [(int(n), _str(f)[:200], _str(t)[:500]) for n, f, t in _list(body.get("frames", []))[-MAX_FRAMES:]]
        self.frames[id(error)] = (error, frames)
        if body.get("raised_here") is True:
            self.raised_here.add(id(error))
        return error


class LearnerCodec(Codec):
    """The learner side's codec: proxies become callables, the judge's exceptions keep their
    identity both ways, and anything else the learner's code made goes out as Opaque."""

    def __init__(self, files: set[str], make_proxy: Callable[[int, str], Callable[..., Any]]) -> None:
        super().__init__()
        self.files = files
        self.make_proxy = make_proxy
        self._proxies: dict[int, Callable[..., Any]] = {}
        self._errors: dict[int, BaseException] = {}  # judge ref -> the exception built for it
        self._classes: dict[tuple[str, str], type] = {}

    def encode(self, value: Any, depth: int = 0) -> Any:
        try:
            return super().encode(value, depth)
        except Exception:  # a learner object that fails while being looked at
            return self.encode_other(value, depth)

    def encode_error(self, error: BaseException, depth: int) -> Any:
        stack = traceback.extract_tb(error.__traceback__)
        frames = [[f.lineno, f.name, (f.line or "").strip()] for f in stack if f.filename in self.files]
        ref = next((n for n, e in self._errors.items() if e is error), None)
        body = {"ref": ref} if ref is not None else self.describe_error(error, depth)
        if ref is None and depth + 1 < MAX_DEPTH:  # its cause and context (raise ... from ...)
            for key, linked in (("cause", error.__cause__), ("context", error.__context__)):
                if linked is not None:
                    body[key] = self.encode(linked, depth + 1)
            body["suppress"] = error.__suppress_context__
        raised_here = bool(stack) and stack[-1].filename in self.files  # by the learner's own line
        return {"exc": {**body, "frames": frames[-MAX_FRAMES:], "raised_here": raised_here}}

    def encode_other(self, value: Any, depth: int) -> Any:
        try:
            name = str(type(value).__name__)[:200]
        except Exception:
            name = "object"
        if asyncio.iscoroutine(value) and type(getattr(value, "__qualname__", None)) is str:
            return {"opaque": [name, short(value), value.__qualname__]}
        return {"opaque": [name, short(value)]}

    def decode_error(self, body: dict, depth: int) -> BaseException:
        ref = body["ref"]
        if ref not in self._errors:
            error = self.build_error(body, depth)
            if error is None:  # the judge's own exception type: a subclass of its builtin base
                key = (body["type"], body["base"])
                if key not in self._classes:
                    self._classes[key] = type(body["type"], (ERRORS[body["base"]],), {"__module__": "judge"})
                error = self._classes[key](body["text"])
            self._errors[ref] = error
        return self._errors[ref]

    def decode_other(self, tag: str, body: Any, depth: int) -> Any:
        if tag != "proxy":
            return super().decode_other(tag, body, depth)
        number, name = body
        if number not in self._proxies:
            self._proxies[number] = self.make_proxy(number, name)
        return self._proxies[number]
