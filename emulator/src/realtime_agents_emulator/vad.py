"""Energy-based voice activity detection, sans-I/O.

Input audio is cut into 20 ms frames. A frame is *speech* when its RMS level reaches
``-60 + 50 × threshold`` dBFS: the default threshold 0.5 means -35 dBFS, threshold 0 means
-60 dBFS and threshold 1 means -10 dBFS. Speech starts at the first speech frame and stops once
``silence_duration_ms`` of consecutive non-speech frames have followed it.

``semantic_vad`` is emulated by the same detector with the default threshold and padding and a
silence duration chosen by ``eagerness`` (low 1000 ms, medium/auto 500 ms, high 250 ms).

Positions are absolute milliseconds of audio received in the session, as the real server reports
them in ``audio_start_ms`` / ``audio_end_ms``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .audio import AudioFormat, rms_dbfs

__all__ = ["EnergyVad", "SpeechStarted", "SpeechStopped", "VadSettings"]

FRAME_MS = 20
_EAGERNESS_SILENCE_MS = {"low": 1000, "medium": 500, "auto": 500, "high": 250}


@dataclass(frozen=True)
class VadSettings:
    """The detector's parameters, in the units of the session config."""

    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 200

    @classmethod
    def from_turn_detection(cls, config: Mapping[str, object] | None) -> VadSettings | None:
        """Settings for a ``turn_detection`` config; ``None`` when turn detection is off."""
        if not config:
            return None
        if config.get("type") == "semantic_vad":
            eagerness = str(config.get("eagerness") or "auto")
            return cls(silence_duration_ms=_EAGERNESS_SILENCE_MS.get(eagerness, 500))
        return cls(
            threshold=float(_number(config.get("threshold"), 0.5)),
            prefix_padding_ms=int(_number(config.get("prefix_padding_ms"), 300)),
            silence_duration_ms=int(_number(config.get("silence_duration_ms"), 200)),
        )

    @property
    def threshold_dbfs(self) -> float:
        return -60.0 + 50.0 * self.threshold


def _number(value: object, default: float) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else default


@dataclass(frozen=True)
class SpeechStarted:
    """Speech was detected in the frame starting at ``at_ms`` (before prefix padding)."""

    at_ms: int


@dataclass(frozen=True)
class SpeechStopped:
    """Speech ended; ``at_ms`` is where the required silence had elapsed."""

    at_ms: int


VadEvent = SpeechStarted | SpeechStopped


class EnergyVad:
    """Feed wire audio in any chunk sizes; get speech start/stop events back in order."""

    def __init__(self, settings: VadSettings, audio_format: AudioFormat, start_ms: int = 0) -> None:
        self.settings = settings
        self._format = audio_format
        self._frame_bytes = FRAME_MS * audio_format.bytes_per_ms
        self._pending = bytearray()
        self._next_frame_ms = start_ms
        self._silence_ms = 0
        self.speaking = False

    def feed(self, wire: bytes) -> list[VadEvent]:
        """Analyse ``wire`` bytes appended to the input buffer."""
        self._pending += wire
        events: list[VadEvent] = []
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            event = self._frame(frame)
            if event is not None:
                events.append(event)
        return events

    def reset(self) -> None:
        """Forget any speech in progress (after a commit or clear); positions keep counting."""
        self.speaking = False
        self._silence_ms = 0

    def _frame(self, frame: bytes) -> VadEvent | None:
        start = self._next_frame_ms
        self._next_frame_ms += FRAME_MS
        voiced = rms_dbfs(self._format.decode_linear(frame)) >= self.settings.threshold_dbfs
        if not self.speaking:
            if voiced:
                self.speaking = True
                self._silence_ms = 0
                return SpeechStarted(start)
            return None
        self._silence_ms = 0 if voiced else self._silence_ms + FRAME_MS
        if self._silence_ms >= self.settings.silence_duration_ms:
            self.reset()
            return SpeechStopped(self._next_frame_ms)
        return None
