"""Twilio Media Streams messages: what Twilio sends, what we send back (no I/O).

Every frame is a JSON text frame with an ``event``. Twilio sends ``connected``, ``start``,
``media``, ``mark``, ``dtmf`` and ``stop``; a bidirectional stream (``<Connect><Stream>``)
accepts ``media``, ``mark`` and ``clear``, each naming the ``streamSid`` and nothing more
(Twilio answers an extra field or a wrong sid with error 31951).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final, Literal

import attrs

__all__ = [
    "FRAME_BYTES",
    "FRAME_MS",
    "MULAW_SILENCE",
    "TwilioDtmfEvent",
    "TwilioMessage",
    "clear_message",
    "mark_message",
    "media_message",
    "parse_message",
]

#: Twilio plays (and sends) µ-law 8 kHz mono in 20 ms frames: 160 bytes.
FRAME_MS: Final = 20
FRAME_BYTES: Final = 160
#: µ-law silence (the encoding of sample 0).
MULAW_SILENCE: Final = 0xFF


@attrs.frozen
class TwilioMessage:
    """One message Twilio sent on the media stream, as published on ``twilio_message``.

    ``event`` is its ``event`` field (``start``, ``media``, ``mark``, ``dtmf``, ``stop``, ...);
    ``data`` is the whole decoded message.
    """

    event: str
    data: dict[str, Any] = attrs.field(repr=False)
    type: Literal["twilio_message"] = "twilio_message"


@attrs.frozen
class TwilioDtmfEvent:
    """The caller pressed a key: ``digit`` (``0``-``9``, ``*``, ``#``), published on ``dtmf``."""

    digit: str
    track: str | None = None
    stream_sid: str | None = None
    type: Literal["dtmf"] = "dtmf"


class TwilioMessageError(ValueError):
    """A frame from Twilio that is not a Media Streams message (not JSON, or no ``event``)."""


def parse_message(frame: str | bytes) -> TwilioMessage:
    """Decode one frame from Twilio; raise :class:`TwilioMessageError` if it is not a message."""
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TwilioMessageError(f"a Twilio frame that is not JSON: {_quote(frame)}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise TwilioMessageError(f"a Twilio frame without an 'event': {_quote(frame)}")
    return TwilioMessage(data["event"], data)


def _quote(frame: str | bytes, limit: int = 120) -> str:
    text = repr(frame)
    return text if len(text) <= limit else text[:limit] + "…"


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def media_message(stream_sid: str, audio: bytes) -> str:
    """``media``: µ-law audio for the caller."""
    payload = base64.b64encode(audio).decode("ascii")
    return _encode({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def mark_message(stream_sid: str, name: str) -> str:
    """``mark``: Twilio echoes it once the audio sent before it has played (or was cleared)."""
    return _encode({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """``clear``: drop the audio Twilio has buffered (pending marks are echoed at once)."""
    return _encode({"event": "clear", "streamSid": stream_sid})
