"""Reply audio → Twilio ``media`` frames and ``mark`` messages; echoed marks → heard audio.

Twilio plays what it is sent back to back and tells us nothing about progress except by
echoing our ``mark`` messages when the audio queued before them has played. So each 20 ms
frame (160 bytes, whatever size the server's deltas had: odd sizes are what makes phone
audio choppy) is followed by a mark naming the item and how many of its bytes were sent up
to there. An echoed mark then says exactly how much of that item the caller heard.

``clear`` makes Twilio drop its buffer *and* echo every pending mark, although that audio
was never heard: marks belong to a *generation*, and :meth:`Playout.clear` starts a new one,
so echoes of older marks are recognised and ignored.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from .messages import FRAME_BYTES, MULAW_SILENCE, mark_message, media_message

__all__ = ["Heard", "Playout"]

#: Marks awaiting their echo, at most (a 20-minute reply; older ones are forgotten first).
_MAX_PENDING_MARKS: Final = 60_000


class Heard(NamedTuple):
    """An echoed mark: the first ``bytes`` of an item's audio were heard."""

    item_id: str
    content_index: int
    bytes: int


class Playout:
    """Frames and marks for one media stream (see the module docstring)."""

    def __init__(self) -> None:
        self._generation = 0
        self._sequence = 0
        self._pending: dict[str, Heard] = {}
        self._tails: dict[tuple[str, int], bytes] = {}
        self._sent: dict[tuple[str, int], int] = {}

    def frames(self, stream_sid: str, item_id: str, content_index: int, audio: bytes) -> list[str]:
        """Messages for the whole frames ``audio`` completes; the rest waits for more audio."""
        key = (item_id, content_index)
        data = self._tails.pop(key, b"") + audio
        whole = len(data) - len(data) % FRAME_BYTES
        if len(data) > whole:
            self._tails[key] = data[whole:]
        out: list[str] = []
        for start in range(0, whole, FRAME_BYTES):
            out += self._frame(stream_sid, key, data[start : start + FRAME_BYTES], FRAME_BYTES)
        return out

    def flush(self, stream_sid: str, item_id: str, content_index: int) -> list[str]:
        """The item's last partial frame, padded with silence to 20 ms (its audio is done)."""
        key = (item_id, content_index)
        tail = self._tails.pop(key, b"")
        out: list[str] = []
        if tail:
            padded = tail + bytes([MULAW_SILENCE]) * (FRAME_BYTES - len(tail))
            out = self._frame(stream_sid, key, padded, len(tail))
        self._sent.pop(key, None)
        return out

    def flush_all(self, stream_sid: str) -> list[str]:
        """The last partial frames of every item (their response is over)."""
        out: list[str] = []
        for item_id, content_index in list(self._tails):
            out += self.flush(stream_sid, item_id, content_index)
        return out

    def _frame(self, stream_sid: str, key: tuple[str, int], frame: bytes, audio: int) -> list[str]:
        # The mark counts the item's real audio only: padding was never the model's.
        sent = self._sent.get(key, 0) + audio
        self._sent[key] = sent
        self._sequence += 1
        name = f"{key[0]}:{sent}:g{self._generation}:m{self._sequence}"
        self._pending[name] = Heard(key[0], key[1], sent)
        if len(self._pending) > _MAX_PENDING_MARKS:
            del self._pending[next(iter(self._pending))]
        return [media_message(stream_sid, frame), mark_message(stream_sid, name)]

    def on_mark(self, name: object) -> Heard | None:
        """What an echoed mark says was heard; None for marks of a cleared generation."""
        if not isinstance(name, str):
            return None
        return self._pending.pop(name, None)

    @property
    def pending(self) -> int:
        """Marks sent and not echoed yet: audio Twilio may still be playing."""
        return len(self._pending)

    def clear(self) -> None:
        """Forget everything queued: Twilio is told to ``clear``, its echoes mean nothing."""
        self._generation += 1
        self._pending.clear()
        self._tails.clear()
        self._sent.clear()
