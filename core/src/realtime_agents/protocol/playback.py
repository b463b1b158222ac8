"""Playback state for both media modes, and the truncate arithmetic.

*Inline* media (:class:`PlaybackTracker`): the client plays the audio it receives in
``response.output_audio.delta``, so it alone knows what was heard. When the user barges in,
the server must be told how much of the assistant's audio was really heard
(``conversation.item.truncate``'s ``audio_end_ms``), or the model believes it said things
nobody heard. Two sources of "heard":

* **wall clock** (default): items play back to back in arrival order; an item starts playing
  at its first delta, or when the previous item's audio runs out if that is later;
* **reported**: once the app calls :meth:`PlaybackTracker.on_played`, only its reports count
  (an item it never reported was not heard at all).

``audio_end_ms = max(0, floor(min(played, received)))``: an ``int``, never negative, never past
the audio the server sent (the server rejects both).

Unlike the JS SDK, an item's state survives ``response.output_audio.done``: the server sends
audio faster than real time, so "all audio sent" usually means "still playing", and a
barge-in then must still truncate (openai-agents-js issue #1173). An item is forgotten only
once it is complete (audio done, or its response done) *and* played to the end, or on
interrupt.

*Track* media (:class:`OutputAudioBuffer`): the audio travels on a media track or phone line
and the server plays it from its output audio buffer, truncating unplayed audio itself. The
client only mirrors what ``output_audio_buffer.started``/``stopped``/``cleared`` say.

A connection's state lives in one protocol object; a new connection gets new trackers, so
nothing here has a reset.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, NamedTuple

from .formats import PCM_24K, WireAudioFormat

__all__ = ["OutputAudioBuffer", "PlaybackTracker", "Truncation"]

#: Bounds on remembered state: a long session must not grow memory.
_MAX_ITEMS: Final = 64
_MAX_DISCARDED: Final = 32
_MAX_AUDIO_PARTS: Final = 32


class Truncation(NamedTuple):
    """Where one item's audio stops: the fields of ``conversation.item.truncate``."""

    item_id: str
    content_index: int
    audio_end_ms: int


class _ItemPlayback:
    __slots__ = (
        "content_index",
        "done",
        "item_id",
        "played_ms",
        "received_bytes",
        "response_id",
        "start",
    )

    def __init__(self, response_id: str | None, item_id: str, content_index: int, start: float):
        self.response_id = response_id
        self.item_id = item_id
        self.content_index = content_index
        self.start = start  # clock seconds at which this item starts playing (wall-clock mode)
        self.received_bytes = 0
        self.played_ms = 0.0  # what the app reported (reported mode)
        self.done = False


class PlaybackTracker:
    """Tracks the assistant audio that may still be playing, item by item.

    ``clock`` returns seconds (``time.monotonic`` by default in the protocol); ``format`` is the
    session's output format, used to turn bytes into milliseconds.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: dict[tuple[str, int], _ItemPlayback] = {}
        self._last: _ItemPlayback | None = None
        self._discarded: dict[str, None] = {}
        self.reported = False
        self.format: WireAudioFormat = PCM_24K

    # -- audio from the server -------------------------------------------------------------

    def is_discarded(self, response_id: str | None) -> bool:
        """Whether ``response_id`` was interrupted: its late audio must not be played."""
        return response_id in self._discarded

    def on_delta(
        self, response_id: str | None, item_id: str, content_index: int, nbytes: int
    ) -> None:
        """Record ``nbytes`` more audio of an item (the hot path: a few attribute operations)."""
        last = self._last
        if last is None or last.item_id != item_id or last.content_index != content_index:
            last = self._items.get((item_id, content_index)) or self._begin(
                response_id, item_id, content_index
            )
            self._last = last
        last.received_bytes += nbytes

    def _begin(self, response_id: str | None, item_id: str, content_index: int) -> _ItemPlayback:
        now = self._clock()
        self._prune(now)
        start = now
        if self._items:
            previous = next(reversed(self._items.values()))
            start = max(now, previous.start + self._received_ms(previous) / 1000)
        state = _ItemPlayback(response_id, item_id, content_index, start)
        self._items[(item_id, content_index)] = state
        if len(self._items) > _MAX_ITEMS:
            self._forget(next(iter(self._items.values())))
        return state

    def on_audio_done(self, item_id: str, content_index: int) -> None:
        """The server sent all of this item's audio (it may still be playing)."""
        state = self._items.get((item_id, content_index))
        if state is not None:
            state.done = True
            self._drop_if_played_out(state)

    def on_response_done(self, response_id: str | None) -> None:
        """No more audio will come for any item of this response."""
        for state in list(self._items.values()):
            if state.response_id == response_id:
                state.done = True
                self._drop_if_played_out(state)

    # -- playback reported by the app ------------------------------------------------------

    def on_played(self, item_id: str, content_index: int, ms: float) -> None:
        """The app has played the first ``ms`` milliseconds of an item (cumulative, monotonic)."""
        self.reported = True
        state = self._items.get((item_id, content_index))
        if state is not None:
            state.played_ms = max(state.played_ms, ms)
            self._drop_if_played_out(state)

    def bytes_to_ms(self, nbytes: int) -> float:
        return self.format.bytes_to_ms(nbytes)

    # -- barge-in --------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """Whether any assistant audio may still be playing (or is still arriving)."""
        self._prune(self._clock())
        return bool(self._items)

    def current(self) -> tuple[str, int] | None:
        """``(item_id, content_index)`` of the audio playing now, if any."""
        self._prune(self._clock())
        return next(iter(self._items), None)

    def received_ms(self, item_id: str, content_index: int = 0) -> float:
        """Milliseconds of audio received for a tracked item (0 if it is not tracked)."""
        state = self._items.get((item_id, content_index))
        return 0.0 if state is None else self._received_ms(state)

    def interrupt(self) -> list[Truncation]:
        """Stop everything: where each unfinished item must be truncated, playing one first.

        Items queued behind the playing one were not heard at all and are truncated at 0.
        Their responses are discarded, so late audio of them is dropped.
        """
        now = self._clock()
        self._prune(now)
        truncations = [
            Truncation(state.item_id, state.content_index, self._audio_end_ms(state, now))
            for state in self._items.values()
        ]
        for state in self._items.values():
            if state.response_id is not None:
                self.discard(state.response_id)
        self._items.clear()
        self._last = None
        return truncations

    def discard(self, response_id: str) -> None:
        """Drop any further audio of ``response_id`` (it was interrupted or cancelled)."""
        self._discarded[response_id] = None
        if len(self._discarded) > _MAX_DISCARDED:
            del self._discarded[next(iter(self._discarded))]

    # -- arithmetic ------------------------------------------------------------------------

    def _received_ms(self, state: _ItemPlayback) -> float:
        return self.format.bytes_to_ms(state.received_bytes)

    def _played_ms(self, state: _ItemPlayback, now: float) -> float:
        if self.reported:
            return state.played_ms
        return (now - state.start) * 1000

    def _audio_end_ms(self, state: _ItemPlayback, now: float) -> int:
        # Rounding to the nanosecond first keeps float clock noise (299.9999999 for 300 ms
        # measured with second-based clocks) from costing a whole millisecond.
        played = min(round(self._played_ms(state, now), 6), self._received_ms(state))
        return max(0, math.floor(played))

    def _drop_if_played_out(self, state: _ItemPlayback) -> None:
        if self.reported and state.done and state.played_ms >= self._received_ms(state):
            self._forget(state)

    def _prune(self, now: float) -> None:
        finished = [
            state
            for state in self._items.values()
            if state.done and self._played_ms(state, now) >= self._received_ms(state)
        ]
        for state in finished:
            self._forget(state)

    def _forget(self, state: _ItemPlayback) -> None:
        self._items.pop((state.item_id, state.content_index), None)
        if self._last is state:
            self._last = None


class OutputAudioBuffer:
    """Track mode: the server's output audio buffer, as its events describe it.

    ``playing`` is True from ``output_audio_buffer.started`` until ``stopped``/``cleared``, or
    until the client interrupts (it then stops counting on audio it asked to clear). The
    buffer events name only the response, so the audio item of each response is remembered
    from ``response.content_part.added``: an ``audio_interrupted`` can then say which item
    stopped.
    """

    def __init__(self) -> None:
        self.playing = False
        #: The response whose audio the buffer plays (or last played).
        self.response_id: str | None = None
        self._parts: dict[str, tuple[str, int]] = {}  # response id → (item id, content index)

    def on_audio_part(self, response_id: str, item_id: str, content_index: int) -> None:
        """A response started an audio content part (the buffer plays it next)."""
        self._parts[response_id] = (item_id, content_index)
        if len(self._parts) > _MAX_AUDIO_PARTS:
            del self._parts[next(iter(self._parts))]

    def on_started(self, response_id: str | None) -> None:
        self.playing = True
        self.response_id = response_id

    def on_stopped(self) -> None:
        """The buffer drained or was cleared: nothing plays until the next ``started``."""
        self.playing = False

    def part_of(self, response_id: str | None) -> tuple[str, int] | None:
        """``(item_id, content_index)`` of a response's audio, if the server announced it."""
        return None if response_id is None else self._parts.get(response_id)
