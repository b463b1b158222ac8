"""Delivering session events: ``on`` handlers, coroutine handlers in order, ``async for`` streams.

Every event goes, in one call of :meth:`SessionEmitter.emit`, to the plain handlers (at once),
to the coroutine handlers (queued, in order, by the bus) and to every open stream (queued), so
all of them see the same order.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

from ..bus import EventEmitter, _Subscriber
from ._queue import (
    DEFAULT_MAX_QUEUED_AUDIO_BYTES,
    DEFAULT_MAX_QUEUED_EVENTS,
    EventStream,
    audio_cost,
)

if TYPE_CHECKING:
    from .events import RealtimeSessionEvent

__all__ = ["SessionEmitter"]


class SessionEmitter(EventEmitter):
    """The event-publishing half of a session (see the module docstring)."""

    def __init__(
        self,
        max_audio_bytes: int = DEFAULT_MAX_QUEUED_AUDIO_BYTES,
        max_events: int = DEFAULT_MAX_QUEUED_EVENTS,
    ) -> None:
        super().__init__()
        self._max_audio_bytes = max_audio_bytes
        self._max_events = max_events
        self._streams: weakref.WeakSet[EventStream[Any]] = weakref.WeakSet()
        self._had_streams = False  # whether events() was ever called (the audio path's check)
        self._delivery_stopped = False

    def emit(self, name: str, event: Any = None) -> None:
        """Publish a session event to ``on`` handlers, then to every ``async for`` stream."""
        # The base's emit by name: super() builds an object per call (several per message).
        EventEmitter.emit(self, name, event)
        if self._had_streams and self._streams:  # a WeakSet's len is Python code: skip it
            cost = audio_cost(event) if name == "audio" or name == "transport_event" else 0
            for stream in list(self._streams):
                stream.push(event, cost)

    def events(self, *, transport_events: bool = False) -> EventStream[RealtimeSessionEvent]:
        """A stream of this session's events from now on; ends when the session closes.

        ``transport_events=True`` also starts publishing ``transport_event`` (every raw
        server event), which the session otherwise does only for ``on("transport_event")``.
        """
        stream: EventStream[RealtimeSessionEvent] = EventStream(
            self._max_audio_bytes, self._max_events
        )
        if self._delivery_stopped:
            stream.finish()
        else:
            self._streams.add(stream)
            self._had_streams = True
            if transport_events:
                self._want_raw_events()
        return stream

    def __aiter__(self) -> EventStream[RealtimeSessionEvent]:
        return self.events()

    def _want_raw_events(self) -> None:
        """Called when someone wants ``transport_event``; the session subscribes to ``*``."""

    def _connect(self, sub: _Subscriber) -> None:
        # Raw events cost a copy per server frame: forward them only once someone wants them.
        if sub.name == "transport_event":
            self._want_raw_events()
        super()._connect(sub)

    async def _stop_delivery(self, keep: asyncio.Task[Any] | None) -> None:
        """End the streams and cancel the handler tasks (all but ``keep``, the caller's)."""
        self._delivery_stopped = True
        for stream in list(self._streams):
            stream.finish()
        workers = [w for w in self._workers if w is not keep]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
