"""A FIFO that never blocks its producer and is bounded by what costs memory: audio bytes.

Events are published synchronously (a blinker ``send`` from a transport's read loop), so a
queue between a publisher and a slower consumer can never make the publisher wait; its bound
is a policy on what it accepts instead. :class:`EventQueue` accepts assistant audio while the
audio waiting in it is under ``max_audio_bytes`` and drops newer audio past that (counting it);
it never drops anything else. Used by the session (its own queue, and each ``async for``
stream: see :mod:`realtime_agents.session._queue` for the whole policy) and by the bus (the
calls waiting for coroutine handlers).
"""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, TypeVar

from .errors import RealtimeAgentsError
from .events import AudioEvent, ServerEvent

__all__ = [
    "DEFAULT_MAX_QUEUED_AUDIO_BYTES",
    "EventQueue",
    "EventsDroppedError",
    "QueueClosed",
    "audio_cost",
]

#: Audio bytes a queue holds before it drops new audio: ≈ 43 s of 24 kHz PCM16.
DEFAULT_MAX_QUEUED_AUDIO_BYTES = 4 * 1024 * 1024

T = TypeVar("T")


class EventsDroppedError(RealtimeAgentsError):
    """Events were dropped because they were not consumed fast enough (see :mod:`._queue`)."""


def audio_cost(event: object) -> int:
    """Bytes of assistant audio ``event`` holds (0 for anything that must never be dropped).

    ``event`` is an :class:`~realtime_agents.events.AudioEvent`, a raw
    :class:`~realtime_agents.events.ServerEvent` (an audio delta costs its base64 text), or
    anything with such a ServerEvent as ``.event`` (the session's ``transport_event``).
    """
    if type(event) is AudioEvent:
        return len(event.data)
    raw = getattr(event, "event", event)
    if type(raw) is ServerEvent and raw.type.endswith("audio.delta"):
        delta = raw.data.get("delta")
        return len(delta) if type(delta) is str else 0
    return 0


class QueueClosed(Exception):
    """Raised by :meth:`EventQueue.get` once the queue is closed and empty."""


class EventQueue(Generic[T]):
    """A FIFO for one consumer task, with the bounds of the module docstring.

    ``put(entry, cost)``: a positive ``cost`` (audio bytes) makes the entry droppable.
    ``max_events`` (None: unbounded) is the overflow point for other entries.
    """

    __slots__ = (
        "_closed",
        "_costs",
        "_items",
        "_waiter",
        "audio_bytes",
        "dropped",
        "dropped_bytes",
        "max_audio_bytes",
        "max_events",
        "overflowed",
    )

    def __init__(
        self,
        max_audio_bytes: int = DEFAULT_MAX_QUEUED_AUDIO_BYTES,
        max_events: int | None = None,
    ) -> None:
        if max_audio_bytes < 0:
            raise ValueError("max_audio_bytes must not be negative")
        if max_events is not None and max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.max_audio_bytes = max_audio_bytes
        self.max_events = max_events
        #: Audio bytes waiting in the queue.
        self.audio_bytes = 0
        #: Droppable entries dropped, and their bytes.
        self.dropped = 0
        self.dropped_bytes = 0
        #: Whether more than ``max_events`` entries waited: the queue closed and let go of them.
        self.overflowed = False
        self._items: collections.deque[T] = collections.deque()
        self._costs: collections.deque[int] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, entry: T, cost: int = 0) -> bool:
        """Append ``entry``; False if it was dropped (audio over the bound) or the queue closed."""
        if self._closed:
            return False
        if cost:
            if self.audio_bytes + cost > self.max_audio_bytes:
                self.dropped += 1
                self.dropped_bytes += cost
                return False
            self.audio_bytes += cost
        elif self.max_events is not None and len(self._items) >= self.max_events:
            self.overflowed = True
            self.close(discard=True)
            return False
        self._items.append(entry)
        self._costs.append(cost)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    async def get(self) -> T:
        """The oldest entry, waiting for one; raises :class:`QueueClosed` when closed and empty."""
        await self.wait()
        return self._pop()

    async def wait(self) -> None:
        """Wait until there is an entry; raises :class:`QueueClosed` when closed and empty.

        With :meth:`pop_ready`, lets a consumer drain a burst without a coroutine per entry.
        """
        while not self._items:
            if self._closed:
                raise QueueClosed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def pop_ready(self) -> T | None:
        """The oldest entry, or None when the queue is empty (never waits)."""
        return self._pop() if self._items else None

    def _pop(self) -> T:
        self.audio_bytes -= self._costs.popleft()
        return self._items.popleft()

    def clear(self) -> None:
        """Let go of every waiting entry (the queue stays open)."""
        self._items.clear()
        self._costs.clear()
        self.audio_bytes = 0

    def close(self, *, discard: bool = False) -> None:
        """No more entries; the consumer drains what is left (or nothing, with ``discard``)."""
        self._closed = True
        if discard:
            self.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
