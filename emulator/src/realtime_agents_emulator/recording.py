"""Ordered event logs that tests can await (``wait_for``), used for observability."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["EventLog"]

Event = dict[str, Any]
Predicate = Callable[[Event], bool]


class EventLog(list[Event]):
    """A list of events in arrival order whose readers can wait for a matching event.

    With ``keep=False`` (benchmarks: no memory growth) events are not stored, but waiters are
    still woken by the events that arrive after they started waiting.
    """

    def __init__(self, keep: bool = True) -> None:
        super().__init__()
        self.keep = keep
        self._waiters: list[tuple[Predicate, asyncio.Future[Event]]] = []

    def record(self, event: Event) -> None:
        """Append ``event`` (when keeping events) and wake the waiters it satisfies."""
        if self.keep:
            self.append(event)
        if not self._waiters:  # the usual case, once per event of every connection
            return
        for predicate, future in list(self._waiters):
            if not future.done() and predicate(event):
                future.set_result(event)

    async def wait_for(
        self,
        type: str | None = None,
        *,
        timeout: float = 5.0,
        where: Predicate | None = None,
        after: int = 0,
    ) -> Event:
        """The first event at index ``after`` or later with this ``type`` (any when ``None``)
        that satisfies ``where``; already-recorded events count. ``TimeoutError`` after
        ``timeout`` seconds, naming the types seen."""

        def matches(event: Event) -> bool:
            return (type is None or event.get("type") == type) and (where is None or where(event))

        for event in self[after:]:
            if matches(event):
                return event
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        waiter = (matches, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            seen = [event.get("type") for event in self[after:]]
            raise TimeoutError(
                f"no {type or 'event'} matched within {timeout}s; saw {seen}"
            ) from None
        finally:
            self._waiters.remove(waiter)
