"""JSON on the wire: what the emulator accepts from clients and what it writes.

Python's :mod:`json` is lenient where the API is not: it reads ``NaN``, ``Infinity`` and numbers
too large for a float (``1e400`` becomes ``inf``), writes them back as non-standard JSON, and
raises :class:`RecursionError` (not :class:`ValueError`) on deeply nested input. Every client
frame and REST body goes through :func:`decode` and its values through :func:`check_finite`;
every event and response body goes out through :func:`encode`.

Audio moves through here on every message (an append in, a delta out), so the per-message path
is kept cheap: msgspec and pybase64 are used when installed (as the client's ``[speed]`` extra
installs them), under the standard library's semantics — a fast decoder's answer is taken only
for input it accepts, where it equals the standard library's; whatever it refuses goes to the
standard library, which accepts it or raises as it always did. ``REALTIME_AGENTS_CODEC=stdlib``
rules the accelerators out (read at first use). A reply's audio delta is written around its
base64 text (:class:`AudioDelta`) instead of scanning that text for characters to escape, and a
paced delta is an :class:`EncodedEvent` made by its part's :class:`DeltaEvents`: only its event
id and audio are new, so the rest of its text is encoded once per part.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .errors import RealtimeError
from .schema import join

__all__ = [
    "MAX_DEPTH",
    "AudioDelta",
    "Codec",
    "DeltaEvents",
    "EncodedEvent",
    "b64decode",
    "b64encode",
    "check_finite",
    "codec_name",
    "decode",
    "encode",
]

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in one document.

Far above any real payload (a tool's JSON Schema nests a few levels), and far below what would
make validating, copying or echoing a value recurse into Python's limit.
"""


_CODEC_ENV = "REALTIME_AGENTS_CODEC"
_ENCODE = json.JSONEncoder(allow_nan=False).encode  # json.dumps(allow_nan=False), built once
_ID_MARK = "event_id_of_this_delta"  # where DeltaEvents' template takes each event's id


class AudioDelta(str):
    """Base64 text, which needs no JSON escaping: :func:`encode` writes it as it is."""

    __slots__ = ()


class EncodedEvent(dict[str, Any]):
    """An event that carries its JSON text, exactly what :func:`encode` would write for it:
    :func:`encode` returns that text. Made by :class:`DeltaEvents`; never changed once made."""

    __slots__ = ("text",)

    text: str


class DeltaEvents:
    """The audio deltas of one content part: each is ``{"type": ..., "event_id": ..., **fields,
    "delta": ...}`` with its JSON text, written around the event id and the base64 audio.

    ``fields`` are JSON-encoded here, once per part. The event id must be letters, digits and
    underscores (every id the emulator makes is): then neither it nor the base64 audio needs
    escaping. An id that would is encoded the general way.
    """

    __slots__ = ("_fields", "_head", "_middle")

    def __init__(self, type: str, fields: Mapping[str, Any]) -> None:
        self._fields: dict[str, Any] = {"type": type, "event_id": "", **fields}
        text = _ENCODE({**self._fields, "event_id": _ID_MARK})[:-1]
        self._head, self._middle = text.split(f'"{_ID_MARK}"')

    def event(self, event_id: str, audio: bytes) -> EncodedEvent:
        """The delta of ``audio`` (wire bytes), as ``event_id``."""
        delta = (_codec or _codec_in_use()).b64encode(audio)
        event = EncodedEvent(self._fields)
        event["event_id"] = event_id
        event["delta"] = delta
        if event_id.replace("_", "").isalnum() and event_id.isascii():
            event.text = f'{self._head}"{event_id}"{self._middle}, "delta": "{delta}"}}'
        else:
            event.text = encode(dict(event))
        return event


class Codec:
    """JSON decoding and base64 both ways: the standard library's, or faster with the same
    results (see the module docs). :meth:`fastest` is what the emulator uses."""

    __slots__ = ("b64decode", "b64encode", "loads", "name")

    def __init__(self) -> None:
        """The standard library's."""
        self.name = "stdlib"
        self.loads: Callable[[str | bytes], Any] = json.loads
        self.b64decode: Callable[[str], bytes] = _strict_b64decode
        self.b64encode: Callable[[bytes], str] = _stdlib_b64encode

    @classmethod
    def fastest(cls) -> Codec:
        """msgspec + pybase64 when both are installed and not ruled out, else the stdlib's."""
        codec = cls()
        if os.environ.get(_CODEC_ENV, "").strip().lower() == "stdlib":
            return codec
        try:
            import msgspec
            import pybase64
        except ImportError:
            return codec
        fast_loads = msgspec.json.Decoder().decode
        fast_b64decode = pybase64.b64decode

        def loads(text: str | bytes) -> Any:
            try:
                return fast_loads(text)
            except Exception:  # refused (NaN, a lone surrogate, deep nesting ...)
                return json.loads(text)

        def b64decode(text: str) -> bytes:
            try:
                return fast_b64decode(text, validate=True)
            except (ValueError, TypeError):  # refused: the standard library decides
                return _strict_b64decode(text)

        codec.name = "msgspec+pybase64"
        codec.loads, codec.b64decode = loads, b64decode
        codec.b64encode = pybase64.b64encode_as_string
        return codec


_codec: Codec | None = None


def codec_name() -> str:
    """``"msgspec+pybase64"`` or ``"stdlib"``: what this process decodes and encodes with."""
    return _codec_in_use().name


def _codec_in_use() -> Codec:
    # Resolved at first use, not at import: the accelerators' import is not free.
    global _codec
    if _codec is None:
        _codec = Codec.fastest()
    return _codec


def _strict_b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _stdlib_b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64decode(text: str) -> bytes:
    """``base64.b64decode(text, validate=True)`` (:class:`ValueError` for anything else than
    base64 text), faster when pybase64 is installed."""
    return (_codec or _codec_in_use()).b64decode(text)


def b64encode(data: bytes) -> AudioDelta:
    """``data`` as base64 text, marked as needing no JSON escaping."""
    return AudioDelta((_codec or _codec_in_use()).b64encode(data))


def decode(text: str | bytes) -> Any:
    """The JSON value of ``text``; ``invalid_json`` (a :class:`RealtimeError`) for text that is
    not JSON or nests deeper than :data:`MAX_DEPTH`."""
    try:
        value = (_codec or _codec_in_use()).loads(text)
    except RecursionError:
        # The C decoder gives up near the interpreter's recursion limit, long after MAX_DEPTH.
        raise _too_deep() from None
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes
        raise RealtimeError.invalid_json(str(exc)) from None
    if _deeper_than_allowed(value):
        raise _too_deep()
    return value


def check_finite(value: Any) -> None:
    """Raise an ``invalid_value`` naming the param (``session.audio.output.speed``) for the
    first ``NaN`` or infinite number inside ``value``: the API's JSON has no such numbers."""
    if not _has_non_finite(value):  # the rule: walking again, with paths, costs an error only
        return
    for node, path, _ in _nodes(value):
        if isinstance(node, float) and not math.isfinite(node):
            raise RealtimeError.not_finite(path, node)


def _has_non_finite(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def encode(value: Any) -> str:
    """Standard JSON for ``value`` (as ``json.dumps`` writes it); raises :class:`ValueError` on a
    non-finite number.

    A non-finite number here is an emulator bug (inputs are checked by :func:`check_finite`), so
    it must fail loudly rather than reach a client as ``NaN``, which strict parsers reject.
    An :class:`AudioDelta` last in an event (every reply's audio delta) is appended as it is;
    an :class:`EncodedEvent` is its text.
    """
    if type(value) is EncodedEvent:
        return value.text
    if type(value) is dict and len(value) > 1:
        delta = value.get("delta")
        if type(delta) is AudioDelta and next(reversed(value)) == "delta":
            head = value.copy()
            del head["delta"]
            return f'{_ENCODE(head)[:-1]}, "delta": "{delta}"}}'
    return _ENCODE(value)


def _nodes(value: Any) -> Iterator[tuple[Any, str, int]]:
    """Every value inside ``value`` (itself included) with its param path and nesting depth.

    An explicit stack, not recursion: deep input is what the callers guard against. Paths are
    spelled as the schema spells them: ``a.b`` for keys, ``a[0]`` for array items.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        yield node, path, depth
        if isinstance(node, dict):
            stack.extend((child, join(path, str(key)), depth + 1) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(node))


def _deeper_than_allowed(value: Any) -> bool:
    """Whether containers nest deeper than :data:`MAX_DEPTH` (an explicit stack, no paths:
    this runs on every frame, audio appends included)."""
    if type(value) is dict:
        for child in value.values():
            if isinstance(child, dict | list):
                break
        else:
            return False  # flat, like every audio append
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _too_deep() -> RealtimeError:
    return RealtimeError.invalid_json(f"nesting is deeper than {MAX_DEPTH} levels")
