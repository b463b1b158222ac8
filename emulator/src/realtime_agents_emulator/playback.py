"""Server-side playback of assistant audio, for transports where the server owns it (WebRTC).

Over WebRTC (and SIP) the server does not send ``response.output_audio.delta``: it plays the
audio on a media track, so it knows what the user has heard. :class:`PlaybackBuffer` is that
knowledge, sans-I/O: the session feeds it each response's audio as the scripted model produces
it; the media track takes fixed-size frames from it at the real-time pace (silence when nothing
is queued); it counts what was played per item, so that a barge-in or
``output_audio_buffer.clear`` truncates the item at what was actually heard; and it reports
when a response's audio has drained (``output_audio_buffer.stopped``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["PlaybackBuffer", "Played"]

_BYTES_PER_MS = 48  # PCM16 mono 24 kHz


@dataclass(frozen=True)
class Played:
    """What a clear stopped: the response, and how far into its item the user heard."""

    response_id: str
    item_id: str | None
    content_index: int
    audio_end_ms: int


@dataclass
class _Segment:
    response_id: str
    item_id: str
    content_index: int
    pcm: bytearray


@dataclass
class _Response:
    response_id: str
    done: bool = False
    started: bool = False  # its first audio has been played
    queued: int = 0  # bytes fed and not yet played
    items_played: dict[tuple[str, int], int] = field(default_factory=dict)


class PlaybackBuffer:
    """Assistant audio (PCM16 mono 24 kHz) waiting to be played, and what has been played.

    Responses play in the order their audio arrived. ``on_drained(response_id)`` is called
    (from :meth:`take` or :meth:`response_done`) once a finished response's audio has all been
    played. A response starts playing once ``prebuffer`` bytes of it are queued (or it is
    done): audio paced in chunks then never runs dry between two chunks. Audio of a response
    that was cleared is dropped (it may still be streaming when the client clears without
    cancelling it first).
    """

    def __init__(self, on_drained: Callable[[str], None], prebuffer: int = 0) -> None:
        self._on_drained = on_drained
        self._prebuffer = prebuffer
        self._segments: deque[_Segment] = deque()
        self._responses: deque[_Response] = deque()
        self._cleared: set[str] = set()

    @property
    def response_id(self) -> str | None:
        """The response whose audio is playing (until it drains or is cleared)."""
        return self._responses[0].response_id if self._responses else None

    @property
    def playing(self) -> bool:
        """Whether audio is queued or playing: what a barge-in would stop."""
        return bool(self._responses)

    def feed(self, response_id: str, item_id: str, content_index: int, pcm: bytes) -> bool:
        """Queue audio of a response's item; True when it is the response's first audio."""
        if response_id in self._cleared:
            return False
        response = self._find(response_id)
        first = response is None
        if response is None:
            response = _Response(response_id)
            self._responses.append(response)
        response.queued += len(pcm)
        last = self._segments[-1] if self._segments else None
        if last and (last.response_id, last.item_id, last.content_index) == (
            response_id,
            item_id,
            content_index,
        ):
            last.pcm += pcm
        else:
            self._segments.append(_Segment(response_id, item_id, content_index, bytearray(pcm)))
        return first

    def response_done(self, response_id: str) -> None:
        """The response will queue no more audio; it drains once what is queued is played."""
        response = self._find(response_id)
        if response is not None:
            response.done = True
            self._pop_drained()

    def take(self, nbytes: int) -> bytes:
        """The next ``nbytes`` to play: queued audio, padded with silence."""
        head = self._responses[0] if self._responses else None
        if head is not None and not head.started:
            if not (head.done or head.queued >= self._prebuffer):
                return bytes(nbytes)
            head.started = True
        out = bytearray()
        while len(out) < nbytes and self._segments:
            segment = self._segments[0]
            chunk = segment.pcm[: nbytes - len(out)]
            del segment.pcm[: len(chunk)]
            out += chunk
            self._count_played(segment, len(chunk))
            if not segment.pcm:
                self._segments.popleft()
        self._pop_drained()
        return bytes(out) + bytes(nbytes - len(out))

    def clear(self) -> Played | None:
        """Drop everything queued; what was playing (None when nothing was)."""
        playing = self._responses[0] if self._responses else None
        self._cleared.update(response.response_id for response in self._responses)
        self._responses.clear()
        self._segments.clear()
        if playing is None:
            return None
        if not playing.items_played:
            return Played(playing.response_id, None, 0, 0)
        (item_id, index), played = list(playing.items_played.items())[-1]
        return Played(playing.response_id, item_id, index, played // _BYTES_PER_MS)

    def _find(self, response_id: str) -> _Response | None:
        return next((r for r in self._responses if r.response_id == response_id), None)

    def _count_played(self, segment: _Segment, nbytes: int) -> None:
        response = self._find(segment.response_id)
        if response is None:
            return
        key = (segment.item_id, segment.content_index)
        response.items_played[key] = response.items_played.get(key, 0) + nbytes
        response.queued -= nbytes

    def _pop_drained(self) -> None:
        while self._responses and self._responses[0].done and not self._responses[0].queued:
            self._on_drained(self._responses.popleft().response_id)
