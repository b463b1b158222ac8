"""One WebSocket connection: frames in and out, recording, and fault injection.

The :class:`ServerConnection` is the transport edge around a :class:`~.session.Session`: it parses
frames (answering binary and non-JSON frames with the real errors), records every client and
server event for tests, and sends server events from a single writer task so that their order is
the order the session produced them and injected delays or faults apply uniformly.

An emulator bug while handling one frame or writing one event costs that frame or event a
``server_error`` (logged with its traceback and recorded in ``emu.crashes``), never the
connection; anything escaping the read loop itself closes with 1011, never a bare TCP drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

from . import wire
from .connection_log import ConnectionLog
from .errors import RealtimeError
from .faults import Faults
from .ids import IdFactory
from .recording import EventLog, Predicate
from .session import Session

__all__ = ["ServerConnection"]

Event = dict[str, Any]
_MALFORMED_FRAME = '{"type": "response.output_audio.delta", "delta": '
_CLOSE_TIMEOUT_S = 2.0
_END_OF_STREAM = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


class ServerConnection:
    """A client connection as the emulator saw it, in order of arrival in ``emu.connections``.

    Observability: ``client_events`` / ``server_events`` (parsed JSON dicts, in order; both are
    :class:`~.recording.EventLog` lists), ``session`` (the effective session config), ``query``,
    ``model``, ``headers``, ``subprotocols``, ``protocol``, ``api_key``, ``accepted``,
    ``close_code``, ``invalid_frames``, ``events_sent``; ``await wait_for_client_event(...)``,
    ``await wait_for_server_event(...)``, ``await wait_closed()``.
    Faults: ``faults``, :meth:`inject`, :meth:`drop`, :meth:`reset`, :meth:`send_malformed`,
    :meth:`send_error`, :meth:`send_event`, :meth:`close`.
    """

    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        *,
        ids: IdFactory,
        faults: Faults,
        on_crash: Callable[[BaseException], None],
        record_events: bool = True,
        number: int = 0,
        api_key: str | None = None,
    ) -> None:
        self._request = request
        self._ws = ws
        self._ids = ids
        self._on_crash = on_crash
        self.faults = faults
        self.query: Mapping[str, str] = dict(request.query)
        self.model: str | None = request.query.get("model")
        self.headers: Mapping[str, str] = dict(request.headers)
        """The upgrade request's headers (as sent, ``Authorization`` included)."""
        self.subprotocols: list[str] = [
            part.strip()
            for part in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
            if part.strip()
        ]
        self.protocol: str | None = ws.ws_protocol
        """The subprotocol the server selected (``"realtime"`` when offered)."""
        self.api_key: str | None = api_key
        """The key the client authenticated with (bearer or subprotocol); never in reprs."""
        self.number = number
        """1 for the first connection since the emulator started (as in its log lines)."""
        self._log = ConnectionLog(number, api_key)
        self.client_events = EventLog(keep=record_events)
        self.server_events = EventLog(keep=record_events)
        self.invalid_frames: list[str | bytes] = []
        """Frames that were not JSON objects (binary or malformed), in order."""
        self.accepted = False
        self.close_code: int | None = None
        """The code the server closed with, or else the one the client closed with."""
        self._server_close_code: int | None = None
        self._close_reason = ""
        self._drop_reason = ""  # set when the server ended TCP without a close frame
        self._session: Session | None = None
        # (loop time queued, event); None wakes the writer to stop.
        self._queue: asyncio.Queue[tuple[float, Event] | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._sent = 0
        self._deltas = 0
        self._fired: set[str] = set()
        self._dead = False
        self._stopping = False
        self._done = asyncio.Event()

    def __repr__(self) -> str:
        return f"<ServerConnection model={self.model!r} accepted={self.accepted}>"

    # -- observability ------------------------------------------------------------------------

    @property
    def session(self) -> Event:
        """The effective session config, as ``session.updated`` would carry it now."""
        return self._session.public_config() if self._session else {}

    @property
    def events_sent(self) -> int:
        """How many server events have been written to the socket (what fault counts count)."""
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
        """Wait until the connection has ended (either side closed or it was dropped)."""
        await asyncio.wait_for(self._done.wait(), timeout)

    # -- fault injection ----------------------------------------------------------------------

    def inject(self, faults: Faults) -> None:
        """Add ``faults`` to this live connection (event counts include events already sent)."""
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
        await self._send_raw(_MALFORMED_FRAME)

    async def send_text(self, text: str) -> None:
        """Send one text frame exactly as given: any JSON, or none."""
        await self._send_raw(text)

    async def send_binary(self, data: bytes) -> None:
        """Send one binary frame (the Realtime API never does: clients must cope)."""
        if not (self._dead or self._ws.closed):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._ws.send_bytes(data)

    def stall(self) -> None:
        """Play dead: stop reading from the socket, so no event is handled and no ping answered.

        The TCP connection stays open, as with a peer whose process hangs or whose network
        path silently drops packets; the client's keepalive is what must notice.
        """
        self._dead = True
        transport = self._request.transport
        if transport is not None and not transport.is_closing():
            transport.pause_reading()

    async def drop(self) -> None:
        """Close TCP without a WebSocket close frame (the client sees an abnormal closure)."""
        self._kill(reset=False)

    async def reset(self) -> None:
        """Reset the TCP connection (RST)."""
        self._kill(reset=True)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with a WebSocket close frame."""
        self._dead = True
        if self._server_close_code is None and not self._ws.closed:
            self._server_close_code = code
            self._close_reason = reason
        try:
            # A client that stopped reading can block the close frame's write forever.
            async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                await self._ws.close(code=code, message=reason.encode()[:123])
        except Exception:
            self._kill(reset=False, abort=True)

    # -- lifecycle ----------------------------------------------------------------------------

    async def reject(self, error: RealtimeError, close_code: int) -> None:
        """Admission failure: ``error`` then close (3000 auth, 4000 request shape)."""
        self._log.opened(self._request.path, self.query, self._request.remote)
        try:
            event = self._error_event(error, None)
            self.server_events.record(event)
            self._log.error_sent(event["error"])
            await self._ws.send_str(wire.encode(event))
            reason = f"{error.type}.{error.code}" if error.code else error.type
            await self.close(close_code, reason)
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self._finish("")

    async def serve(self, session: Session) -> None:
        """Run the session until the socket closes; then stop its tasks and the writer."""
        self._session = session
        self.accepted = True
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        self._log.opened(self._request.path, self.query, self._request.remote)
        client_reason = ""
        try:
            session.start()
            while (message := await self._ws.receive()).type not in _END_OF_STREAM:
                self._on_message(session, message)
            if message.type == WSMsgType.CLOSE:
                client_reason = str(message.extra or "")
        except ConnectionError:
            pass  # the client went away; the cleanup below is all there is to do
        except Exception as exc:  # an emulator bug outside any one frame: close, never just drop
            self._internal_error(exc, "reading frames")
            await self.close(1011, "internal error")
        finally:
            await session.close()
            # Events still queued can no longer be delivered. The sentinel wakes an idle writer;
            # the cancel stops one blocked writing to a client that stopped reading.
            self._stopping = True
            self._queue.put_nowait(None)
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._finish(client_reason)

    def _finish(self, client_reason: str) -> None:
        self.close_code = self._server_close_code or self._ws.close_code
        if self._server_close_code is not None:
            self._log.closed(self._server_close_code, self._close_reason, by_server=True)
        elif self._drop_reason:
            self._log.closed(None, self._drop_reason, by_server=True)
        else:
            self._log.closed(self._ws.close_code, client_reason, by_server=False)
        self._done.set()

    # -- reading ------------------------------------------------------------------------------

    def _on_message(self, session: Session, message: WSMessage) -> None:
        """Handle one frame; an unexpected exception costs it a ``server_error``, not the socket."""
        event: Event | None = None
        try:
            event = self._event_of(session, message)
            if event is not None:
                self.client_events.record(event)
                self._log.client_event(event.get("type"))
                session.handle(event)
        except Exception as exc:  # an emulator bug: report it, keep serving like a real server
            kind = event.get("type") if event is not None else message.type.name.lower()
            self._internal_error(exc, f"handling {kind}")
            event_id = event.get("event_id") if event is not None else None
            session.error(
                RealtimeError.server_error(), event_id if isinstance(event_id, str) else None
            )

    def _event_of(self, session: Session, message: WSMessage) -> Event | None:
        """The frame's event, or None after answering a frame that is not one."""
        try:
            if message.type != WSMsgType.TEXT:
                raise RealtimeError.binary_frame()
            event = wire.decode(message.data)
            if not isinstance(event, dict):
                raise RealtimeError.not_an_object()
        except RealtimeError as error:
            self.invalid_frames.append(message.data)
            session.error(error)
            return None
        return event

    def _internal_error(self, exc: Exception, doing: str) -> None:
        self._log.internal_error(exc, doing)
        self._on_crash(exc)

    def session_sink(self, event: Event) -> None:
        """Where the session sends its events."""
        self._enqueue(event)

    def request_close(self, code: int, reason: str) -> None:
        """Called by the session (``session.close``, expiry): close after queued events."""
        self._enqueue({"__close__": (code, reason)})

    # -- writing ------------------------------------------------------------------------------

    def _enqueue(self, event: Event) -> None:
        if not self._dead:
            self._queue.put_nowait((asyncio.get_running_loop().time(), event))

    async def _write_loop(self) -> None:
        while True:
            entry = await self._queue.get()
            if entry is None or self._stopping:
                return
            if self._dead:
                continue
            try:
                await self._write(*entry)
            except Exception as exc:  # an emulator bug: lose this event, keep the writer
                self._internal_error(exc, "writing an event")

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
        await self._apply_count_faults()

    async def _send_raw(self, text: str) -> bool:
        if self._dead or self._ws.closed:
            return False
        try:
            await self._ws.send_str(text)
        except (ConnectionError, RuntimeError):
            self._dead = True
            return False
        return True

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

    def _kill(self, *, reset: bool, abort: bool = False) -> None:
        """End TCP without a close frame: FIN after flushing (``drop``), RST (``reset``), or at
        once, discarding unsent data (``abort``, for clients that stopped reading)."""
        self._dead = True
        self._drop_reason = self._drop_reason or ("TCP reset" if reset else "TCP closed")
        transport = self._request.transport
        if transport is None:
            return
        if abort:
            transport.abort()
            return
        if transport.is_closing():
            return
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
