"""What every transport edge around a :class:`~.session.Session` shares, whatever carries it.

An *edge* is one client's pipe into a session: a WebSocket connection (``connection.py``) or the
``oai-events`` data channel of a WebRTC call (``rtc_call.py``). :class:`Edge` owns what does not
depend on the pipe: parsing client frames (answering binary and non-JSON frames with the real
errors), recording every client and server event for tests, one writer task per edge (so events
leave in the order the session made them and injected delays or faults apply uniformly), the
count-based faults, and the log lines. Subclasses supply the pipe: :meth:`Edge._send_raw`,
:meth:`Edge.send_binary`, :meth:`Edge.close`, :meth:`Edge.stall` and :meth:`Edge._kill`.
"""

from __future__ import annotations

import abc
import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from . import wire
from .connection_log import ConnectionLog
from .errors import RealtimeError
from .faults import Faults
from .ids import IdFactory
from .recording import EventLog, Predicate
from .session import Session

__all__ = ["Edge", "Event"]

Event = dict[str, Any]
MALFORMED_FRAME = '{"type": "response.output_audio.delta", "delta": '


class Edge(abc.ABC):
    """One client's pipe into a session; see the module docs for who does what."""

    def __init__(
        self,
        *,
        ids: IdFactory,
        faults: Faults,
        on_crash: Callable[[BaseException], None],
        record_events: bool,
        number: int,
        api_key: str | None,
        log_name: str = "connection",
    ) -> None:
        self._ids = ids
        self._on_crash = on_crash
        self.faults = faults
        self.api_key: str | None = api_key
        """The key the client authenticated with; never in reprs or logs."""
        self.number = number
        """1 for the first connection or call since the emulator started (as in its log lines)."""
        self._log = ConnectionLog(number, api_key, log_name)
        self.client_events = EventLog(keep=record_events)
        self.server_events = EventLog(keep=record_events)
        self.invalid_frames: list[str | bytes] = []
        """Frames that were not JSON objects (binary or malformed), in order."""
        self.accepted = False
        self._session: Session | None = None
        # (loop time queued, event); None wakes the writer to stop. A deque and one future to
        # wake the writer: asyncio.Queue's bookkeeping cost as much as the rest of a delta.
        self._queue: deque[tuple[float, Event] | None] = deque()
        self._wake: asyncio.Future[None] | None = None
        self._writing = False  # an event is being written (by the writer, or a paced delta)
        self._writer: asyncio.Task[None] | None = None
        self._sent = 0
        self._deltas = 0
        self._fired: set[str] = set()
        self._faults_seen: Faults | None = None
        self._any_faults = False
        self._dead = False
        self._stopping = False
        self._done = asyncio.Event()

    # -- observability ------------------------------------------------------------------------

    @property
    def session(self) -> Event:
        """The effective session config, as ``session.updated`` would carry it now."""
        return self._session.public_config() if self._session else {}

    @property
    def events_sent(self) -> int:
        """How many server events have been written to the pipe (what fault counts count)."""
        return self._sent

    @property
    def closed(self) -> bool:
        return self._done.is_set()

    async def wait_for_client_event(
        self,
        type: str | None = None,
        *,
        timeout: float = 5.0,
        where: Predicate | None = None,
        after: int = 0,
    ) -> Event:
        """The first client event of ``type`` (see :meth:`EventLog.wait_for`)."""
        return await self.client_events.wait_for(type, timeout=timeout, where=where, after=after)

    async def wait_for_server_event(
        self,
        type: str | None = None,
        *,
        timeout: float = 5.0,
        where: Predicate | None = None,
        after: int = 0,
    ) -> Event:
        """The first server event of ``type`` (see :meth:`EventLog.wait_for`)."""
        return await self.server_events.wait_for(type, timeout=timeout, where=where, after=after)

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until the edge has ended (either side closed it or it was dropped)."""
        await asyncio.wait_for(self._done.wait(), timeout)

    # -- fault injection ----------------------------------------------------------------------

    def inject(self, faults: Faults) -> None:
        """Add ``faults`` to this live edge (event counts include events already sent)."""
        self.faults = self.faults.merged(faults)

    def send_event(self, event: Mapping[str, Any]) -> None:
        """Queue an arbitrary server event (``event_id`` is added when missing).

        Raises :class:`ValueError` (or :class:`TypeError`) here, not in the writer, for an event
        that is not standard JSON (``NaN``, sets, …).
        """
        wire.encode(event)
        self._enqueue({"event_id": self._ids.event(), **event})

    def send_error(self, message: str | None = None, code: str | None = "server_error") -> None:
        """Queue a ``server_error`` ``error`` event."""
        error = RealtimeError.server_error(message, code)
        self._enqueue(self._error_event(error, None))

    async def send_malformed(self) -> None:
        """Send one text frame that is not valid JSON."""
        await self._send_raw(MALFORMED_FRAME)

    async def send_text(self, text: str) -> None:
        """Send one text frame exactly as given: any JSON, or none."""
        await self._send_raw(text)

    @abc.abstractmethod
    async def send_binary(self, data: bytes) -> None:
        """Send one binary frame (the Realtime API never does: clients must cope)."""

    @abc.abstractmethod
    def stall(self) -> None:
        """Play dead: nothing more is read or written, but the pipe stays open."""

    @abc.abstractmethod
    async def drop(self) -> None:
        """End the pipe without a goodbye (the client sees the peer vanish)."""

    @abc.abstractmethod
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """End the pipe with a goodbye."""

    # -- subclass hooks -------------------------------------------------------------------------

    @abc.abstractmethod
    async def _send_raw(self, text: str) -> bool:
        """Write one text frame; False when the pipe is gone (nothing was written)."""

    @abc.abstractmethod
    def _kill(self, *, reset: bool) -> None:
        """End the pipe abruptly (``reset``: the harshest way the pipe knows)."""

    # -- reading ------------------------------------------------------------------------------

    def _on_frame(self, data: str | bytes) -> None:
        """Handle one frame; an unexpected exception costs it a ``server_error``, not the edge."""
        session = self._session
        assert session is not None
        event: Event | None = None
        try:
            event = self._event_of(session, data)
            if event is not None:
                self.client_events.record(event)
                self._log.client_event(event.get("type"))
                self._handle(session, event)
        except Exception as exc:  # an emulator bug: report it, keep serving like a real server
            kind = event.get("type") if event is not None else _frame_kind(data)
            self._internal_error(exc, f"handling {kind}")
            event_id = event.get("event_id") if event is not None else None
            session.error(
                RealtimeError.server_error(), event_id if isinstance(event_id, str) else None
            )

    def _handle(self, session: Session, event: Event) -> None:
        """Give a parsed client event to the session (edges may look at it first)."""
        session.handle(event)

    def _event_of(self, session: Session, data: str | bytes) -> Event | None:
        """The frame's event, or None after answering a frame that is not one."""
        try:
            if not isinstance(data, str):
                raise RealtimeError.binary_frame()
            event = wire.decode(data)
            if not isinstance(event, dict):
                raise RealtimeError.not_an_object()
        except RealtimeError as error:
            self.invalid_frames.append(data)
            session.error(error)
            return None
        return event

    def _internal_error(self, exc: Exception, doing: str) -> None:
        self._log.internal_error(exc, doing)
        self._on_crash(exc)

    def session_sink(self, event: Event) -> None:
        """Where the session sends its events."""
        self._enqueue(event)

    async def session_deliver(self, event: wire.EncodedEvent) -> None:
        """Where the session sends its paced audio deltas, from the task that paces them.

        With nothing queued or being written and no faults, the delta is written right here:
        handing it to the writer task would cost a wake-up of that task, and the loop one more
        iteration, per delta of every session. Otherwise it queues behind what is there, so
        events leave in the order the session made them either way.
        """
        if self._writing or self._queue or self._writer is None or not self._faultless():
            self._enqueue(event)
            return
        if self._dead:
            return
        self._writing = True
        try:
            # What _send_event does, for an event known to be an encoded delta without faults.
            self.server_events.record(event)
            if await self._send_raw(event.text):
                self._sent += 1
                self._deltas += 1
        except Exception as exc:  # an emulator bug: lose this event, keep the edge
            self._internal_error(exc, "writing an event")
        finally:
            self._writing = False
            if self._queue:
                self._wake_writer()

    def request_close(self, code: int, reason: str) -> None:
        """Called by the session (``session.close``, expiry): close after queued events."""
        self._enqueue({"__close__": (code, reason)})

    # -- writing ------------------------------------------------------------------------------

    def _start_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    async def _stop_writer(self) -> None:
        """Events still queued can no longer be delivered: stop the writer, idle or blocked."""
        self._stopping = True
        self._put(None)  # wakes an idle writer
        if self._writer is not None:
            self._writer.cancel()  # stops one blocked writing to a client that stopped reading
            await asyncio.gather(self._writer, return_exceptions=True)

    def _enqueue(self, event: Event) -> None:
        if not self._dead:
            self._put((asyncio.get_running_loop().time(), event))

    def _put(self, entry: tuple[float, Event] | None) -> None:
        self._queue.append(entry)
        self._wake_writer()

    def _wake_writer(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def _write_loop(self) -> None:
        queue = self._queue
        while True:
            if not queue or self._writing:  # (a delta being written by its pacing task)
                self._wake = asyncio.get_running_loop().create_future()
                await self._wake
                continue
            entry = queue.popleft()
            if entry is None or self._stopping:
                return
            if self._dead:
                continue
            self._writing = True
            try:
                await self._write(*entry)
            except Exception as exc:  # an emulator bug: lose this event, keep the writer
                self._internal_error(exc, "writing an event")
            finally:
                self._writing = False

    async def _write(self, queued_at: float, event: Event) -> None:
        if "__close__" in event:
            await self.close(*event["__close__"])
            return
        if self.faults.delay_ms:  # a constant latency: each event leaves MS after it was made
            due = queued_at + self.faults.delay_ms / 1000
            await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
        await self._send_event(event)

    async def _send_event(self, event: Event) -> None:
        try:
            text = wire.encode(event)
        except (ValueError, TypeError, RecursionError) as exc:  # an emulator bug, see encode
            self._internal_error(exc, f"encoding {event.get('type')}")
            event = self._error_event(RealtimeError.server_error(), None)
            text = wire.encode(event)
        self.server_events.record(event)
        if event.get("type") == "error":
            self._log.error_sent(event["error"])
        if not await self._send_raw(text):
            return
        self._sent += 1
        kind = str(event.get("type", ""))
        if kind.startswith("response.") and kind.endswith(".delta"):
            self._deltas += 1
        if not self._faultless():  # checked here: no coroutine per event without faults
            await self._apply_count_faults()

    def _faultless(self) -> bool:
        """Whether no fault is set (checked per event: cached per :class:`Faults` value)."""
        faults = self.faults
        if faults is not self._faults_seen:  # new faults (inject, or assigned): are any set?
            self._faults_seen, self._any_faults = faults, faults.active
        return not self._any_faults

    async def _apply_count_faults(self) -> None:
        faults, sent = self.faults, self._sent
        if self._once("error", faults.error_after_events == sent):
            error = RealtimeError.server_error(code=faults.error_code)
            await self._send_event(self._error_event(error, None))
        if self._once("malformed", faults.malformed_after_events == sent):
            await self.send_malformed()
        if self._once("close", faults.close_after_events == sent):
            await self.close(faults.close_code, "fault injection")
        if self._once("drop", faults.drop_after_events == sent):
            self._kill(reset=False)
        if self._once("drop_mid", faults.drop_mid_response == self._deltas and self._deltas > 0):
            self._kill(reset=False)
        if self._once("reset", faults.reset_after_events == sent):
            self._kill(reset=True)

    def _error_event(self, error: RealtimeError, client_event_id: str | None) -> Event:
        return {
            "type": "error",
            "event_id": self._ids.event(),
            "error": error.payload(client_event_id),
        }

    def _once(self, name: str, condition: bool) -> bool:
        if not condition or name in self._fired:
            return False
        self._fired.add(name)
        return True


def _frame_kind(data: str | bytes) -> str:
    return "text" if isinstance(data, str) else "binary"
