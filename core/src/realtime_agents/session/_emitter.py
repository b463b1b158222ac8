"""Delivering session events: ``on`` handlers, coroutine handlers in order, ``async for`` streams.

Every event goes, in one call of :meth:`SessionEmitter.emit`, to the plain handlers (at once),
to the coroutine handlers (queued) and to every open stream (queued), so all of them see the
same order. The bus alone gives each coroutine subscriber its own FIFO, so one async handler
registered for ``audio`` and another for ``audio_interrupted`` could see them swapped; a
session instead awaits all its coroutine handlers one at a time, in event order, from one task
it owns — a slow coroutine handler delays the other coroutine handlers, never the session.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from typing import Any

from ..bus import EventEmitter, _Subscriber
from ._queue import DEFAULT_MAX_QUEUED, EventStream

__all__ = ["SessionEmitter"]


class _InOrder(_Subscriber):
    """A coroutine handler of a session: fed from the session's one ordered FIFO."""

    __slots__ = ()

    def __call__(self, sender: object, event: Any = None) -> None:
        if self.once:
            self.emitter._disconnect(self)
        emitter = self.emitter
        assert isinstance(emitter, SessionEmitter)
        emitter._deliver_in_order(self, event)


class SessionEmitter(EventEmitter):
    """The event-publishing half of a session (see the module docstring)."""

    def __init__(self, max_queued: int = DEFAULT_MAX_QUEUED) -> None:
        super().__init__()
        self._max_queued = max_queued
        self._streams: weakref.WeakSet[EventStream[Any]] = weakref.WeakSet()
        self._in_order: collections.deque[tuple[_Subscriber, Any]] = collections.deque()
        self._in_order_worker: asyncio.Task[None] | None = None
        self._delivery_stopped = False

    def emit(self, name: str, event: Any = None) -> None:
        """Publish a session event to ``on`` handlers, then to every ``async for`` stream."""
        super().emit(name, event)
        if self._streams:
            droppable = name == "audio"
            for stream in list(self._streams):
                stream.push(event, droppable=droppable)

    def events(self, *, transport_events: bool = False) -> EventStream[Any]:
        """A stream of this session's events from now on; ends when the session closes.

        ``transport_events=True`` also starts publishing ``transport_event`` (every raw
        server event), which the session otherwise does only for ``on("transport_event")``.
        """
        stream: EventStream[Any] = EventStream(self._max_queued)
        if self._delivery_stopped:
            stream.finish()
        else:
            self._streams.add(stream)
            if transport_events:
                self._want_raw_events()
        return stream

    def __aiter__(self) -> EventStream[Any]:
        return self.events()

    def _want_raw_events(self) -> None:
        """Called when someone wants ``transport_event``; the session subscribes to ``*``."""

    def _connect(self, sub: _Subscriber) -> None:
        # Raw events cost a copy per server frame: forward them only once someone wants them.
        if sub.name == "transport_event":
            self._want_raw_events()
        if sub.is_async and not isinstance(sub, _InOrder):
            sub = _InOrder(self, sub.name, sub.handler, sub.once)
        super()._connect(sub)

    def _deliver_in_order(self, sub: _Subscriber, event: Any) -> None:
        """Queue a coroutine handler's call behind every earlier one of this session."""
        self._in_order.append((sub, event))
        if self._in_order_worker is None or self._in_order_worker.done():
            worker = asyncio.get_running_loop().create_task(
                self._drain_in_order(), name="realtime_agents session handlers"
            )
            self._in_order_worker = worker
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def _drain_in_order(self) -> None:
        while self._in_order:
            sub, event = self._in_order.popleft()
            try:
                await sub.handler(event)  # type: ignore[misc]
            except Exception as exc:
                self._handler_failed(sub, exc)

    async def _stop_delivery(self, keep: asyncio.Task[Any] | None) -> None:
        """End the streams and cancel the handler tasks (all but ``keep``, the caller's)."""
        self._delivery_stopped = True
        for stream in list(self._streams):
            stream.finish()
        workers = [w for w in self._workers if w is not keep]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
