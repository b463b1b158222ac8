"""µ-law 8 kHz both ways, in every session config this transport sends.

Twilio carries G.711 µ-law at 8 kHz, and nothing else. The session payload builder fills in
PCM 24 kHz wherever a config names no format, so a later ``session.update`` (a handoff, an
instruction change) would silently switch the call to PCM: static on the line. Every config
therefore goes through :func:`force_mulaw` first; a format the user named is corrected, with a
log line, since the caller could not hear anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from realtime_agents.config import LEGACY_KEYS
from realtime_agents.protocol.formats import PCMU, normalize_audio_format

__all__ = ["MULAW", "force_mulaw"]

logger = logging.getLogger("realtime_agents_twilio")

#: The GA format of a Twilio media stream.
MULAW: Final = {"type": PCMU}


def force_mulaw(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``config`` whose input and output audio formats are µ-law 8 kHz."""
    out = dict(config or {})
    if not LEGACY_KEYS.isdisjoint(out):  # the deprecated flat shape: its own keys decide
        for key in ("input_audio_format", "output_audio_format"):
            _warn_if_other(key, out.get(key))
            out[key] = "g711_ulaw"
        return out
    audio = dict(out.get("audio") or {})
    for direction in ("input", "output"):
        section = dict(audio.get(direction) or {})
        _warn_if_other(f"audio.{direction}.format", section.get("format"))
        section["format"] = dict(MULAW)
        audio[direction] = section
    out["audio"] = audio
    return out


def _warn_if_other(where: str, value: object) -> None:
    if value is not None and normalize_audio_format(value).type != PCMU:
        logger.warning(
            "Twilio media streams carry µ-law 8 kHz only: %s=%r replaced by audio/pcmu",
            where,
            value,
        )
