"""The session's concurrency primitives: one bounded event queue, event streams, owned tasks.

**The queue and its bound.** Transports publish events synchronously (a blinker ``send``
from their read loop), so :meth:`EventQueue.put` can never wait. The bound is therefore a
policy on *what* is accepted once ``maxsize`` entries are waiting:

* droppable entries — assistant audio chunks (``audio``, and raw ``*.audio.delta`` server
  events) — are dropped, newest first, and counted in :attr:`EventQueue.dropped`;
* everything else (function calls, history items, turn boundaries, errors, ...) is always
  accepted, even past the bound: losing one would leave the conversation inconsistent, and
  these events are small and few compared to audio.

So a consumer that falls behind (a blocking ``audio`` handler, say) loses audio, never state,
and memory stays bounded by ``maxsize`` audio chunks plus the control events in flight.
Each :class:`EventStream` (one per ``async for``) has its own queue with the same policy.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["DEFAULT_MAX_QUEUED", "EventQueue", "EventStream", "TaskSet"]

#: Entries waiting in a session queue before audio is dropped: about 20 s of 20 ms chunks.
DEFAULT_MAX_QUEUED = 1024

T = TypeVar("T")


class QueueClosed(Exception):
    """Raised by :meth:`EventQueue.get` once the queue is closed and empty."""


class EventQueue(Generic[T]):
    """A FIFO for one consumer task, with the bound policy of the module docstring."""

    __slots__ = ("_closed", "_items", "_waiter", "dropped", "maxsize")

    def __init__(self, maxsize: int = DEFAULT_MAX_QUEUED) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.dropped = 0
        self._items: collections.deque[T] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, entry: T, *, droppable: bool = False) -> bool:
        """Append ``entry``; False if it was dropped (full and droppable) or the queue is closed."""
        if self._closed:
            return False
        if droppable and len(self._items) >= self.maxsize:
            self.dropped += 1
            return False
        self._items.append(entry)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    async def get(self) -> T:
        """The oldest entry, waiting for one; raises :class:`QueueClosed` when closed and empty."""
        await self.wait()
        return self._items.popleft()

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
        return self._items.popleft() if self._items else None

    def close(self, *, discard: bool = False) -> None:
        """No more entries; the consumer drains what is left (or nothing, with ``discard``)."""
        self._closed = True
        if discard:
            self._items.clear()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class EventStream(Generic[T]):
    """``async for event in session``: the session's events from now until it closes."""

    def __init__(self, maxsize: int = DEFAULT_MAX_QUEUED) -> None:
        self._queue: EventQueue[T] = EventQueue(maxsize)

    @property
    def dropped(self) -> int:
        """Audio events this stream dropped because its reader fell behind."""
        return self._queue.dropped

    def push(self, event: T, *, droppable: bool) -> None:
        self._queue.put(event, droppable=droppable)

    def finish(self) -> None:
        """End the iteration once the events already queued have been read."""
        self._queue.close()

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self._queue.get()
        except QueueClosed:
            raise StopAsyncIteration from None

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
