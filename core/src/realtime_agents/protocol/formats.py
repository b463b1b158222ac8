"""Audio formats of the Realtime API: normalisation and byte/duration arithmetic.

This is the one place that knows how the wire describes audio. Users may write GA dicts
(``{"type": "audio/pcm", "rate": 24000}``, ``{"type": "audio/pcmu"}``, ``{"type": "audio/pcma"}``)
or the deprecated strings ``pcm16``, ``g711_ulaw`` and ``g711_alaw``; anything else falls back
to PCM16 24 kHz, the server's default, rather than failing mid-session.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

__all__ = [
    "PCM",
    "PCMA",
    "PCMU",
    "PCM_24K",
    "WireAudioFormat",
    "format_from_session",
    "normalize_audio_format",
]

PCM: Final = "audio/pcm"
PCMU: Final = "audio/pcmu"
PCMA: Final = "audio/pcma"

#: Sample rate of PCM audio when the format does not say (the only rate GA input accepts).
DEFAULT_PCM_RATE: Final = 24000
#: G.711 (μ-law and A-law) is always 8 kHz, one byte per sample.
G711_RATE: Final = 8000


@attrs.frozen
class WireAudioFormat:
    """A normalised audio format: ``type`` is ``audio/pcm``, ``audio/pcmu`` or ``audio/pcma``.

    ``rate`` is the sample rate in Hz (always 8000 for G.711). PCM is signed 16-bit
    little-endian mono; G.711 is one byte per sample.
    """

    type: str
    rate: int | float = DEFAULT_PCM_RATE

    @property
    def bytes_per_sample(self) -> int:
        return 2 if self.type == PCM else 1

    def bytes_to_ms(self, nbytes: int) -> float:
        """Duration of ``nbytes`` of audio in this format, in milliseconds.

        One division of exact integers, so whole frames give whole milliseconds
        (4800 bytes of PCM 24 kHz is exactly 100.0, not 99.99999).
        """
        return nbytes * 1000 / (self.bytes_per_sample * self.rate)

    def to_wire(self) -> dict[str, Any]:
        """The GA ``format`` object for this format."""
        if self.type == PCM:
            return {"type": PCM, "rate": self.rate}
        return {"type": self.type}


PCM_24K: Final = WireAudioFormat(PCM, DEFAULT_PCM_RATE)
_G711: Final = {PCMU: WireAudioFormat(PCMU, G711_RATE), PCMA: WireAudioFormat(PCMA, G711_RATE)}
_LEGACY: Final = {"pcm16": PCM_24K, "g711_ulaw": _G711[PCMU], "g711_alaw": _G711[PCMA]}


def _pcm_rate(rate: object) -> int | float:
    """A usable PCM rate: a finite positive number, else the default (as the JS SDK does)."""
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        return DEFAULT_PCM_RATE
    if not math.isfinite(rate) or rate <= 0:
        return DEFAULT_PCM_RATE
    return int(rate) if float(rate).is_integer() else rate


def normalize_audio_format(value: object) -> WireAudioFormat:
    """Normalise any accepted spelling of an audio format; unknown values give PCM 24 kHz."""
    if isinstance(value, str):
        if value in _LEGACY:
            return _LEGACY[value]
        return _G711.get(value, PCM_24K)
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == PCM:
            rate = _pcm_rate(value.get("rate", DEFAULT_PCM_RATE))
            return PCM_24K if rate == DEFAULT_PCM_RATE else WireAudioFormat(PCM, rate)
        if isinstance(kind, str) and kind in _G711:
            return _G711[kind]
    return PCM_24K


def format_from_session(session: Mapping[str, Any] | None, direction: str) -> WireAudioFormat:
    """The ``input`` or ``output`` format of a server ``session`` object (GA or beta shape)."""
    if not isinstance(session, Mapping):
        return PCM_24K
    audio = session.get("audio")
    if isinstance(audio, Mapping):
        section = audio.get(direction)
        if isinstance(section, Mapping) and "format" in section:
            return normalize_audio_format(section["format"])
    return normalize_audio_format(session.get(f"{direction}_audio_format"))
