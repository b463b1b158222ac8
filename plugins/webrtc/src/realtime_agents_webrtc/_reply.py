"""Which response the audio on the reply track belongs to, for ``audio`` events.

The track carries no ids, so the data channel's events say what is playing: the audio item
of each response (``response.content_part.added``), then ``output_audio_buffer.started`` →
audio belongs to that response until ``stopped`` (the buffer drained: frames still in flight
are let through until the first silent one, at most :data:`TAIL_FRAMES`) or ``cleared`` / an
interrupt (nothing more is emitted: playback must stop now). Between responses the track
carries silence, which is not published; nor is the silence between ``started`` and the
reply's first sound (the events outrun the media by the jitter buffer's latency), so the
published audio is the reply, not the network's delay.
"""

from __future__ import annotations

import array
import json
from typing import Any, Final

__all__ = ["TAIL_FRAMES", "ReplyTagger", "is_silent", "peek_needed"]

#: Frames (of any length) still published after ``output_audio_buffer.stopped``.
TAIL_FRAMES: Final = 25
#: Peak below which a PCM16 chunk counts as silence (about -54 dBFS: Opus noise floor).
_SILENCE_PEAK: Final = 64
_MAX_PARTS: Final = 64
_WATCHED: Final = ('"output_audio_buffer.', '"response.content_part.added"')


def peek_needed(frame: str) -> bool:
    """Whether a data-channel frame may change what is playing (a cheap substring test)."""
    return any(marker in frame for marker in _WATCHED)


def is_silent(pcm: bytes) -> bool:
    samples = array.array("h", pcm[: len(pcm) // 2 * 2])
    return not samples or (max(samples) < _SILENCE_PEAK and -min(samples) < _SILENCE_PEAK)


class ReplyTagger:
    """Follows the output audio buffer; :meth:`tag` says whose audio a chunk is, if anyone's."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[str, int]] = {}
        self._response_id: str | None = None
        self._playing = False
        self._sounded = False  # a non-silent chunk of the playing reply was published
        self._tail = 0

    def observe(self, frame: str) -> None:
        try:
            event = json.loads(frame)
        except ValueError:
            return  # the driver reports unreadable frames
        if isinstance(event, dict):
            self._on_event(event)

    def _on_event(self, event: dict[str, Any]) -> None:
        kind, response_id = event.get("type"), event.get("response_id")
        if kind == "response.content_part.added":
            part = event.get("part")
            if isinstance(part, dict) and part.get("type") == "audio" and response_id:
                self._parts[response_id] = (
                    str(event.get("item_id")),
                    event.get("content_index", 0),
                )
                if len(self._parts) > _MAX_PARTS:
                    del self._parts[next(iter(self._parts))]
        elif kind == "output_audio_buffer.started":
            self._response_id, self._playing, self._tail = response_id, True, 0
            self._sounded = False
        elif kind == "output_audio_buffer.stopped" and self._playing:
            self._playing, self._tail = False, TAIL_FRAMES
        elif kind == "output_audio_buffer.cleared":
            self.cut()

    def cut(self) -> None:
        """Playback was interrupted: publish nothing more until the next ``started``."""
        self._playing, self._tail = False, 0

    def tag(self, pcm: bytes) -> tuple[str | None, str | None, int] | None:
        """``(response_id, item_id, content_index)`` for this chunk, or None (not a reply)."""
        if not self._playing:
            if self._tail <= 0:
                return None
            if is_silent(pcm):
                self._tail = 0
                return None
            self._tail -= 1
        elif not self._sounded:
            if is_silent(pcm):
                return None
            self._sounded = True
        item_id, index = self._parts.get(self._response_id or "", (None, 0))
        return self._response_id, item_id, index
