"""The session's link to its transport: one strong subscription, one ordered queue, one reader.

:class:`TransportLink` subscribes to the transport once (strongly: blinker would otherwise hold
the handlers weakly) and puts every event, tagged with the connection *generation* current
when it arrived, on one :class:`~._queue.EventQueue` (whose docstring states the bound and
what is dropped). :meth:`TransportLink.consume` is the session's reader: it drains the queue
in bursts and hands each event of the current generation to its handler; events of a replaced
connection are skipped. The session's own bookkeeping (a connection reset, a function output
recorded) goes through the same queue as control entries, so history changes happen in one
place, in order. While the reader is idle (parked on an empty queue), an event is handed to its
handler at once, in the publisher's call, rather than waking the reader: the same order, without
a task switch per audio message (see :meth:`TransportLink.put`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..events import ErrorEvent
from ..transport import RealtimeTransportLayer
from ._queue import EventQueue, EventsDroppedError, QueueClosed, audio_cost

__all__ = ["TRANSPORT_EVENTS", "EventsDroppedError", "TransportLink"]

Reporter = Callable[[BaseException], None]

logger = logging.getLogger("realtime_agents.session")

#: Transport events the session consumes (``*`` only while someone wants ``transport_event``).
TRANSPORT_EVENTS = (
    "function_call",
    "audio",
    "audio_interrupted",
    "audio_transcript_delta",
    "output_text_delta",
    "audio_done",
    "usage_update",
    "item_update",
    "item_deleted",
    "connection_change",
    "turn_started",
    "turn_done",
    "error",
    "mcp_approval_request",
    "mcp_tool_call_completed",
    "input_audio_transcription",
)


class TransportLink:
    """One transport's events, in order, for one reader (see the module docstring)."""

    def __init__(self, transport: RealtimeTransportLayer, max_audio_bytes: int) -> None:
        self.transport = transport
        self.queue: EventQueue[tuple[int, str, Any]] = EventQueue(max_audio_bytes)
        self._generation = 0
        self._subscriptions: list[tuple[str, Callable[[Any], None]]] = []
        self._raw: Callable[[Any], None] | None = None
        self._dropping = False
        # The reader's handlers while it waits on an empty, open queue (see put). Falsy when
        # not parked: None, or () once something was queued while an event was handled at
        # once (then only the reader, woken by that entry, parks again).
        self._parked: tuple[Mapping[str, Callable[[Any], None]], Reporter] | tuple[()] | None
        self._parked = None

    @property
    def generation(self) -> int:
        """The connection events are handled for: a new connection, or closing, bumps it."""
        return self._generation

    @generation.setter
    def generation(self, value: int) -> None:
        # Before a new connection's reset, or the queue's close, is queued: from now on
        # events go through the queue, behind them (the reader parks again when it may).
        self._parked = ()
        self._generation = value

    def subscribe(self) -> None:
        """Subscribe to the transport's events (once; later calls do nothing)."""
        if self._subscriptions:
            return
        for name in TRANSPORT_EVENTS:
            # A partial (C) rather than a Python callable: one frame less per event.
            handler = functools.partial(self.put, name)
            self.transport.on(name, handler)
            self._subscriptions.append((name, handler))

    def want_raw_events(self) -> None:
        """Also subscribe to ``*`` (every raw server event)."""
        if self._raw is None and not self.queue.closed:
            self._raw = functools.partial(self.put, "*")
            self.transport.on("*", self._raw)

    def unsubscribe(self) -> None:
        for name, handler in self._subscriptions:
            self.transport.off(name, handler)
        self._subscriptions.clear()
        if self._raw is not None:
            self.transport.off("*", self._raw)
            self._raw = None

    def put(self, name: str, event: Any) -> None:
        """Queue a transport event; audio over the bound is dropped (reported once per burst).

        When the reader is parked on an empty queue, the event is handled at once instead:
        waking a task per message costs more than the handling itself (≈1.6 µs per audio
        message), and the order is the same — nothing is queued ahead of it, and an event
        published while it is handled (the reader is then unparked) is queued behind it.
        Whatever queues an entry unparks the reader first (``_parked = ()``), so "parked"
        alone says the queue is empty and open: the audio path asks nothing else.
        """
        parked = self._parked
        if parked:
            self._parked = None  # anything published meanwhile is queued, in order
            try:
                parked[0][name](event)
            except Exception as exc:
                parked[1](exc)
            finally:
                # Nothing was queued meanwhile (that sets ()): still parked on an empty queue.
                if self._parked is None:
                    self._parked = parked
            return
        self._parked = ()
        queue = self.queue
        cost = audio_cost(event) if name == "audio" or name == "*" else 0
        if queue.put((self.generation, name, event), cost) or queue.closed:
            return
        if not self._dropping:
            self._dropping = True
            logger.warning("session events are not consumed fast enough; dropping audio")
            error = EventsDroppedError(
                "audio dropped: the session's events are not consumed fast enough "
                f"(over {queue.max_audio_bytes} bytes of audio waiting)"
            )
            self.put_control("_publish", ("error", ErrorEvent(error=error)))

    def put_control(self, name: str, payload: Any, generation: int | None = None) -> None:
        """Queue the session's own bookkeeping behind the events already queued."""
        self._parked = ()  # queued: the reader handles what follows, after it
        self.queue.put((self.generation if generation is None else generation, name, payload))

    async def consume(
        self,
        dispatch: Mapping[str, Callable[[Any], None]],
        report: Callable[[BaseException], None],
    ) -> None:
        """Hand each queued event of the current generation to its handler, until closed."""
        queue = self.queue
        while True:
            self._parked = (dispatch, report) if not queue and not queue.closed else None
            try:
                await queue.wait()
            except QueueClosed:
                return
            finally:
                self._parked = None
            # Drain the burst without a coroutine per event (this is the audio hot path);
            # the queue is re-read each time, so a handler that closes the session stops it.
            while (entry := queue.pop_ready()) is not None:
                generation, name, event = entry
                if generation != self.generation:
                    continue  # from a connection that has been replaced
                try:
                    dispatch[name](event)
                except Exception as exc:
                    report(exc)
            self._dropping = False
