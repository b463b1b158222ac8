"""JSON on the wire: what the emulator accepts from clients and what it writes.

Python's :mod:`json` is lenient where the API is not: it reads ``NaN``, ``Infinity`` and numbers
too large for a float (``1e400`` becomes ``inf``), writes them back as non-standard JSON, and
raises :class:`RecursionError` (not :class:`ValueError`) on deeply nested input. Every client
frame and REST body goes through :func:`decode` and its values through :func:`check_finite`;
every event and response body goes out through :func:`encode`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from .errors import RealtimeError
from .schema import join

__all__ = ["MAX_DEPTH", "check_finite", "decode", "encode"]

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in one document.

Far above any real payload (a tool's JSON Schema nests a few levels), and far below what would
make validating, copying or echoing a value recurse into Python's limit.
"""


def decode(text: str | bytes) -> Any:
    """The JSON value of ``text``; ``invalid_json`` (a :class:`RealtimeError`) for text that is
    not JSON or nests deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(text)
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
    for node, path, _ in _nodes(value):
        if isinstance(node, float) and not math.isfinite(node):
            raise RealtimeError.not_finite(path, node)


def encode(value: Any) -> str:
    """Standard JSON for ``value``; raises :class:`ValueError` on a non-finite number.

    A non-finite number here is an emulator bug (inputs are checked by :func:`check_finite`), so
    it must fail loudly rather than reach a client as ``NaN``, which strict parsers reject.
    """
    return json.dumps(value, allow_nan=False)


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
