"""The session's concurrency primitives: bounded event queues, event streams, owned tasks.

**Bounds, and what they count.** Transports publish events synchronously (a blinker ``send``
from their read loop), so :meth:`EventQueue.put` can never wait; each bound is a policy on
what is accepted instead. Memory goes to audio, so audio is bounded by its *bytes*:

* **Audio may be dropped.** Assistant audio (``audio`` events, and raw ``*.audio.delta``
  server events and their ``transport_event``) is accepted while the audio waiting in the
  queue is under ``max_audio_bytes`` (default 4 MiB, about 43 s of 24 kHz PCM16); past it,
  new audio is dropped and counted (:attr:`EventQueue.dropped`, :attr:`~EventQueue.dropped_bytes`).
  A burst of many small chunks is therefore never dropped for being many.
* **Nothing else is ever dropped** (function calls, history, turn boundaries, errors, text):
  losing one would leave the conversation inconsistent. The session's own queue is read by
  its own task, so these only wait for the length of one burst.
* **An ``async for`` stream nobody reads** also holds at most ``max_events`` other events
  (default 10 000). Past that it is *overflowed*: it lets go of what it holds, stops receiving,
  and the next read raises :class:`EventsDroppedError` — a stream never silently skips state.
* **Coroutine handlers** (``async def`` handlers given to ``on``) are called in order by one
  task per session (or transport); the calls waiting for it follow the same audio bound, so
  a slow ``async`` audio handler loses audio past 4 MiB, never anything else.

How you learn about drops: the session publishes one ``error`` event carrying
:class:`EventsDroppedError` per burst of dropped audio (and logs a warning);
``session.dropped_audio_events`` / ``dropped_audio_bytes`` count them; a stream puts the same
error event in its own sequence, where the gap is, and counts its drops in ``stream.dropped``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar, cast

from .._queue import (
    DEFAULT_MAX_QUEUED_AUDIO_BYTES,
    EventQueue,
    EventsDroppedError,
    QueueClosed,
    audio_cost,
)
from ..events import ErrorEvent

__all__ = [
    "DEFAULT_MAX_QUEUED_AUDIO_BYTES",
    "DEFAULT_MAX_QUEUED_EVENTS",
    "EventQueue",
    "EventStream",
    "EventsDroppedError",
    "QueueClosed",
    "TaskSet",
    "audio_cost",
]

logger = logging.getLogger("realtime_agents.session")

#: Other events an unread ``async for`` stream holds before it overflows.
DEFAULT_MAX_QUEUED_EVENTS = 10_000

T = TypeVar("T")


class EventStream(Generic[T]):
    """``async for event in session``: the session's events from now until it closes.

    Audio this stream drops is announced in the stream itself, by one ``error`` event (an
    :class:`~realtime_agents.events.ErrorEvent` carrying :class:`EventsDroppedError`) where
    the gap is; a stream that overflows raises :class:`EventsDroppedError` on the next read.
    """

    def __init__(
        self,
        max_audio_bytes: int = DEFAULT_MAX_QUEUED_AUDIO_BYTES,
        max_events: int = DEFAULT_MAX_QUEUED_EVENTS,
    ) -> None:
        self._queue: EventQueue[T] = EventQueue(max_audio_bytes, max_events)
        self._gap = False  # audio was dropped since the reader last caught up

    @property
    def dropped(self) -> int:
        """Audio events this stream dropped because its reader fell behind."""
        return self._queue.dropped

    @property
    def dropped_bytes(self) -> int:
        """The bytes of audio this stream dropped."""
        return self._queue.dropped_bytes

    def push(self, event: T, cost: int = 0) -> None:
        """Queue ``event`` (``cost``: its audio bytes, see :func:`audio_cost`)."""
        queue = self._queue
        if queue.closed or queue.put(event, cost):
            return
        if queue.overflowed:
            logger.warning(
                "an event stream was not read: %d events waited, it stopped receiving",
                queue.max_events,
            )
        elif not self._gap:
            self._gap = True
            error = EventsDroppedError(
                "audio dropped: this event stream is not read fast enough "
                f"(over {queue.max_audio_bytes} bytes of audio waiting)"
            )
            queue.put(cast(T, ErrorEvent(error=error)))

    def finish(self) -> None:
        """End the iteration once the events already queued have been read."""
        self._queue.close()

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        queue = self._queue
        try:
            event = await queue.get()
        except QueueClosed:
            if queue.overflowed:
                raise EventsDroppedError(
                    f"this event stream was not read: more than {queue.max_events} events "
                    "waited, so it let go of them and stopped; read streams as you go "
                    "(or raise max_queued_events)"
                ) from None
            raise StopAsyncIteration from None
        if not queue:
            self._gap = False
        return event

    async def aclose(self) -> None:
        """Stop receiving events now."""
        self._queue.close(discard=True)


class TaskSet:
    """Tasks a session owns. Failures go to ``on_error``; :meth:`cancel_all` ends them all."""

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start ``coro`` as a task this set owns."""
        task = asyncio.get_running_loop().create_task(coro, name=f"realtime_agents {name}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._on_error(task.exception())  # type: ignore[arg-type]

    async def cancel_all(self, *, keep: asyncio.Task[Any] | None = None) -> None:
        """Cancel every task except ``keep`` and the caller, and wait until they have ended."""
        spared = {asyncio.current_task(), keep}
        tasks = [t for t in self._tasks if t not in spared]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
