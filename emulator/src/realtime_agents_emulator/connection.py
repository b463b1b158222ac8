"""One WebSocket connection: the :class:`~.edge.Edge` of a session over aiohttp.

The :class:`ServerConnection` moves frames between the socket and its session; parsing, recording,
the single writer and the count faults live in :class:`~.edge.Edge`, shared with WebRTC calls.
It also serves *sideband* connections (``?call_id=rtc_…``): another pipe into the session of a
call, which it neither starts nor ends.

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

from aiohttp import WSMsgType, web

from . import wire
from .edge import Edge
from .errors import RealtimeError
from .faults import Faults
from .ids import IdFactory
from .session import Session

__all__ = ["ServerConnection"]

_CLOSE_TIMEOUT_S = 2.0
_END_OF_STREAM = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


class ServerConnection(Edge):
    """A client connection as the emulator saw it, in order of arrival in ``emu.connections``.

    Observability: ``client_events`` / ``server_events`` (parsed JSON dicts, in order; both are
    :class:`~.recording.EventLog` lists), ``session`` (the effective session config), ``query``,
    ``model``, ``headers``, ``subprotocols``, ``protocol``, ``api_key``, ``accepted``,
    ``close_code``, ``invalid_frames``, ``events_sent``, ``call_id`` (of a sideband
    connection); ``await wait_for_client_event(...)``, ``await wait_for_server_event(...)``,
    ``await wait_closed()``.
    Faults: ``faults``, :meth:`inject`, :meth:`drop`, :meth:`reset`, :meth:`send_malformed`,
    :meth:`send_error`, :meth:`send_event`, :meth:`send_text`, :meth:`send_binary`,
    :meth:`stall`, :meth:`close`.
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
        super().__init__(
            ids=ids,
            faults=faults,
            on_crash=on_crash,
            record_events=record_events,
            number=number,
            api_key=api_key,
        )
        self._request = request
        self._ws = ws
        self.query: Mapping[str, str] = dict(request.query)
        self.model: str | None = request.query.get("model")
        self.call_id: str | None = request.query.get("call_id")
        """The call a sideband connection attached to (``?call_id=``), else None."""
        self.headers: Mapping[str, str] = dict(request.headers)
        """The upgrade request's headers (as sent, ``Authorization`` included)."""
        self.subprotocols: list[str] = [
            part.strip()
            for part in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
            if part.strip()
        ]
        self.protocol: str | None = ws.ws_protocol
        """The subprotocol the server selected (``"realtime"`` when offered)."""
        self.close_code: int | None = None
        """The code the server closed with, or else the one the client closed with."""
        self._server_close_code: int | None = None
        self._close_reason = ""
        self._drop_reason = ""  # set when the server ended TCP without a close frame

    def __repr__(self) -> str:
        return f"<ServerConnection model={self.model!r} accepted={self.accepted}>"

    # -- fault injection ----------------------------------------------------------------------

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

    async def serve(self, session: Session, *, sideband: bool = False) -> None:
        """Run the session until the socket closes; then stop its tasks and the writer.

        ``sideband``: the session belongs to a call, which started it and will close it; this
        connection gets its own ``session.created`` and leaves the session running.
        """
        self._session = session
        self.accepted = True
        self._start_writer()
        self._log.opened(self._request.path, self.query, self._request.remote)
        client_reason = ""
        try:
            if sideband:
                self.session_sink(session.created_event())
            else:
                session.start()
            while (message := await self._ws.receive()).type not in _END_OF_STREAM:
                # TEXT carries str and BINARY bytes; the edge answers binary frames.
                self._on_frame(message.data)
            if message.type == WSMsgType.CLOSE:
                client_reason = str(message.extra or "")
        except ConnectionError:
            pass  # the client went away; the cleanup below is all there is to do
        except Exception as exc:  # an emulator bug outside any one frame: close, never just drop
            self._internal_error(exc, "reading frames")
            await self.close(1011, "internal error")
        finally:
            if not sideband:
                await session.close()
            await self._stop_writer()
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

    # -- writing ------------------------------------------------------------------------------

    async def _send_raw(self, text: str) -> bool:
        if self._dead or self._ws.closed:
            return False
        try:
            await self._ws.send_str(text)
        except (ConnectionError, RuntimeError):
            self._dead = True
            return False
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
