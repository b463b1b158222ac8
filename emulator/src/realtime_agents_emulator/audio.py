"""Audio formats of the Realtime API and the conversions the emulator needs.

Wire formats (reference §8): ``audio/pcm`` is signed 16-bit little-endian mono at 24 kHz (48 bytes
per ms); ``audio/pcmu`` and ``audio/pcma`` are G.711 µ-law / A-law at 8 kHz (8 bytes per ms).
Internally the emulator synthesises and analyses PCM16; this module converts at the edges.
All functions are pure (no I/O) and deterministic.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._audioop import audioop

__all__ = [
    "PCM_RATE",
    "AudioFormat",
    "AudioStream",
    "pcm16_silence",
    "pcm16_tone",
]

PCM_RATE = 24000
"""Sample rate of ``audio/pcm`` (the only rate the API accepts)."""

_G711_RATE = 8000
_SAMPLE_WIDTH = 2


@dataclass(frozen=True)
class AudioFormat:
    """One of the three GA audio formats, identified by its ``type`` string."""

    type: str

    @classmethod
    def from_config(cls, config: Mapping[str, object] | None) -> AudioFormat:
        """The format described by a session ``format`` object (``None`` means PCM)."""
        kind = (config or {}).get("type", "audio/pcm")
        if kind not in ("audio/pcm", "audio/pcmu", "audio/pcma"):
            raise ValueError(f"unsupported audio format {kind!r}")
        return cls(str(kind))

    @property
    def rate(self) -> int:
        """Samples per second on the wire."""
        return PCM_RATE if self.type == "audio/pcm" else _G711_RATE

    @property
    def bytes_per_ms(self) -> int:
        """Wire bytes per millisecond: 48 for PCM, 8 for G.711."""
        return self.rate * (_SAMPLE_WIDTH if self.type == "audio/pcm" else 1) // 1000

    def duration_ms(self, nbytes: int) -> float:
        """Duration of ``nbytes`` wire bytes, in milliseconds."""
        return nbytes / self.bytes_per_ms

    def encode(self, pcm24k: bytes) -> bytes:
        """Convert a self-contained chunk of PCM16 mono 24 kHz to this wire format (resampling
        to 8 kHz for G.711); a continuous stream converts through :class:`AudioStream`."""
        return AudioStream(self).encode(pcm24k)

    def decode_linear(self, wire: bytes) -> bytes:
        """Wire bytes as PCM16 at this format's own rate (no resampling)."""
        if self.type == "audio/pcm":
            return wire[: len(wire) - len(wire) % 2]
        if self.type == "audio/pcmu":
            return audioop.ulaw2lin(wire, _SAMPLE_WIDTH)
        return audioop.alaw2lin(wire, _SAMPLE_WIDTH)

    def decode(self, wire: bytes) -> bytes:
        """A self-contained chunk of wire bytes as PCM16 mono 24 kHz (a continuous stream
        converts through :class:`AudioStream`)."""
        return AudioStream(self).decode(wire)


class AudioStream:
    """Converts one continuous stream (a call's media) between its wire format and PCM16 24 kHz.

    :meth:`AudioFormat.decode` and :meth:`AudioFormat.encode` convert self-contained chunks: the
    resampler starts afresh each time, which at a packet's edges loses samples (a 20 ms G.711
    packet decodes to 478 samples instead of 480) and clicks. A stream carries the resampler's
    state from one packet to the next, one state per direction.
    """

    def __init__(self, audio_format: AudioFormat) -> None:
        self.format = audio_format
        self._in_state: Any = None
        self._out_state: Any = None

    def decode(self, wire: bytes) -> bytes:
        """The next wire packet as PCM16 mono 24 kHz."""
        linear = self.format.decode_linear(wire)
        if self.format.rate == PCM_RATE:
            return linear
        wide, self._in_state = audioop.ratecv(
            linear, _SAMPLE_WIDTH, 1, self.format.rate, PCM_RATE, self._in_state
        )
        return wide

    def encode(self, pcm24k: bytes) -> bytes:
        """The next PCM16 mono 24 kHz chunk in the wire format."""
        if self.format.type == "audio/pcm":
            return pcm24k
        narrow, self._out_state = audioop.ratecv(
            pcm24k, _SAMPLE_WIDTH, 1, PCM_RATE, _G711_RATE, self._out_state
        )
        if self.format.type == "audio/pcmu":
            return audioop.lin2ulaw(narrow, _SAMPLE_WIDTH)
        return audioop.lin2alaw(narrow, _SAMPLE_WIDTH)


def rms_dbfs(pcm16: bytes) -> float:
    """Root-mean-square level of PCM16 samples in dBFS (``-inf`` for digital silence)."""
    if len(pcm16) < _SAMPLE_WIDTH:
        return -math.inf
    rms = audioop.rms(pcm16, _SAMPLE_WIDTH)
    return 20.0 * math.log10(rms / 32768.0) if rms else -math.inf


def pcm16_silence(duration_ms: int, rate: int = PCM_RATE) -> bytes:
    """``duration_ms`` of digital silence as PCM16 mono."""
    return bytes(_SAMPLE_WIDTH * (rate * duration_ms // 1000))


def pcm16_tone(
    duration_ms: int, frequency: float = 440.0, amplitude: float = 0.3, rate: int = PCM_RATE
) -> bytes:
    """A sine tone as PCM16 mono: handy as "speech" that the energy VAD detects.

    ``amplitude`` is a fraction of full scale; 0.3 is about -13.5 dBFS RMS, well above the
    default VAD threshold of -35 dBFS.
    """
    count = rate * duration_ms // 1000
    peak = amplitude * 32767.0
    step = 2.0 * math.pi * frequency / rate
    samples = array("h", (round(peak * math.sin(step * n)) for n in range(count)))
    return samples_to_bytes(samples)


def looped_chunks(pcm16: bytes, duration_ms: int, chunk_ms: int) -> Iterator[bytes]:
    """PCM16 24 kHz audio looped or trimmed to exactly ``duration_ms`` (for ``audio_ms``
    replies), ``chunk_ms`` at a time; silence when ``pcm16`` is empty.

    Nothing is built whole: a reply as long as a load test (minutes of ``audio_ms``) would
    otherwise take all its memory the moment it starts, for every session at once. A loop has
    few distinct chunks (as many as there are chunk offsets into ``pcm16``, which synthesized
    speech makes a whole number of 20 ms frames), so each is made once and then given again:
    a reply's stored audio holds references to them rather than new copies.
    """
    target = _SAMPLE_WIDTH * (PCM_RATE * duration_ms // 1000)
    size = _SAMPLE_WIDTH * PCM_RATE * chunk_ms // 1000
    source = pcm16 or bytes(size)
    offsets = len(source) // math.gcd(len(source), size)
    made: dict[int, bytes] | None = {} if offsets <= _SHARED_CHUNKS else None
    for start in range(0, target, size):
        length, offset = min(size, target - start), start % len(source)
        if made is None or length < size:
            yield _loop_slice(source, offset, length)
            continue
        chunk = made.get(offset)
        if chunk is None:
            chunk = made[offset] = _loop_slice(source, offset, length)
        yield chunk


_SHARED_CHUNKS = 512
"""The most distinct chunks :func:`looped_chunks` keeps for one reply (beyond: fresh copies)."""


def _loop_slice(source: bytes, offset: int, length: int) -> bytes:
    """``length`` bytes of ``source`` repeated forever, from ``offset``."""
    if offset + length <= len(source):
        return source[offset : offset + length]
    pieces = bytearray()
    while len(pieces) < length:
        pieces += source[offset : offset + length - len(pieces)]
        offset = 0
    return bytes(pieces)


def pad_to_frame(pcm16: bytes, frame_ms: int = 20) -> bytes:
    """Pad PCM16 24 kHz audio with silence to a whole number of ``frame_ms`` frames."""
    frame = _SAMPLE_WIDTH * PCM_RATE * frame_ms // 1000
    remainder = len(pcm16) % frame
    return pcm16 + bytes(frame - remainder) if remainder else pcm16


def samples_to_bytes(samples: array[int]) -> bytes:
    """Signed 16-bit samples as little-endian wire bytes."""
    # array("h") uses the machine's byte order; the wire format is little-endian.
    if array("h", [1]).tobytes() != b"\x01\x00":  # pragma: no cover - big-endian hosts only
        samples.byteswap()
    return samples.tobytes()
