"""The wire codec: the three per-message conversions, with optional accelerators.

Per audio message the protocol decodes a frame's JSON and a delta's base64 (receiving), or
encodes a chunk as base64 (sending). Core stays pure Python: the standard library's ``json``
and ``binascii`` always work (Pyodide included). When msgspec and pybase64 are importable
(``pip install 'realtime-agents-websocket[speed]'``), :func:`default_codec` uses them instead,
with exactly the standard library's results:

* a fast decoder only answers for input it accepts, and for all such input it gives what the
  standard library gives (msgspec keeps big integers exact; pybase64 with ``validate`` accepts
  a subset of what strict ``binascii`` accepts, with the same bytes: tests/core/protocol
  checks both by property). Whatever it refuses (``NaN``, lone surrogates, deep nesting,
  over-padded base64, junk) goes to the standard library, which accepts it or raises as it
  always did: what counts as JSON, and strict base64, do not depend on what is installed;
* base64 encoding has one answer; client events other than audio keep ``json.dumps``.

``REALTIME_AGENTS_CODEC=stdlib`` (read once, at the first connection) or
:func:`use_codec` with :data:`STDLIB_CODEC` rules the accelerators out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, Final

from .outbound import encode_base64
from .server_events import decode_audio_delta

__all__ = ["STDLIB_CODEC", "WireCodec", "default_codec", "fast_codec", "use_codec"]

#: The environment variable that forces the standard library (``stdlib``).
CODEC_ENV: Final = "REALTIME_AGENTS_CODEC"


class WireCodec:
    """``loads(text)`` (ValueError for bad JSON), strict ``b64decode(text)`` (ValueError for
    anything that is not strictly base64) and ``b64encode(data) -> str``."""

    __slots__ = ("b64decode", "b64encode", "loads", "name")

    def __init__(
        self,
        name: str,
        *,
        loads: Callable[[str | bytes], Any],
        b64decode: Callable[[str], bytes],
        b64encode: Callable[[bytes], str],
    ) -> None:
        self.name = name
        self.loads = loads
        self.b64decode = b64decode
        self.b64encode = b64encode

    def __repr__(self) -> str:
        return f"<WireCodec {self.name}>"


#: The standard library: always available.
STDLIB_CODEC: Final = WireCodec(
    "stdlib", loads=json.loads, b64decode=decode_audio_delta, b64encode=encode_base64
)


def fast_codec() -> WireCodec | None:
    """msgspec + pybase64 behind the standard library's semantics, or None when not installed."""
    try:
        import msgspec
        import pybase64
    except ImportError:
        return None
    decode_json = msgspec.json.Decoder().decode
    decode_b64 = pybase64.b64decode
    slow_loads = json.loads

    def loads(text: str | bytes) -> Any:
        try:
            return decode_json(text)
        except Exception:  # refused (NaN, a lone surrogate, depth ...): the stdlib decides
            return slow_loads(text)

    def b64decode(text: str) -> bytes:
        try:
            return decode_b64(text, validate=True)
        except (ValueError, TypeError):  # refused: strict binascii accepts it or raises
            return decode_audio_delta(text)

    return WireCodec(
        "msgspec+pybase64",
        loads=loads,
        b64decode=b64decode,
        b64encode=pybase64.b64encode_as_string,
    )


_chosen: WireCodec | None = None


def default_codec() -> WireCodec:
    """The codec new protocol objects use: :func:`use_codec`'s, else the fastest installed.

    Resolved on first use, not at import: importing msgspec and pybase64 costs milliseconds
    that a program which never connects should not pay.
    """
    global _chosen
    if _chosen is None:
        forced = os.environ.get(CODEC_ENV, "").strip().lower()
        fast = None if forced == "stdlib" else fast_codec()
        _chosen = fast or STDLIB_CODEC
    return _chosen


def use_codec(codec: WireCodec | None) -> None:
    """Make ``codec`` the default for protocol objects created from now on (None: automatic)."""
    global _chosen
    _chosen = codec
