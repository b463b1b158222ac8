"""The fast channel: an :class:`asyncio.Protocol` driving websockets' sans-I/O ``ClientProtocol``.

websockets' own asyncio client puts every message through a queue and a future before
``recv()`` returns it. Here bytes go straight from ``data_received`` to the transport's
``on_frame``, synchronously, so an audio delta reaches the user's handler in the same
callback that read it from the socket, and anything the protocol answers (a truncate on
barge-in, a pong) is written before that callback returns.

websockets' ``ClientProtocol`` does all of the RFC 6455 work: the opening handshake, parsing
and masking frames, answering pings, permessage-deflate, the closing handshake and failing
protocol errors with the right close code.

What this module adds is only I/O: TCP/TLS via ``loop.create_connection``, write flow
control, keepalive pings on timer handles (no task), and bounded close.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
from collections.abc import Sequence
from typing import cast

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import BytesLike, Subprotocol
from websockets.uri import parse_uri

from realtime_agents.driver import Channel, ChannelRequest, CloseInfo, OnClose, OnFrame
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError

from ._channel import ChannelSettings
from ._errors import RedactingLogger, closing_info, map_websockets_exceptions

__all__ = ["SansIOChannel"]

logger = logging.getLogger("realtime_agents_websocket")

_TEXT = Opcode.TEXT
_BINARY = Opcode.BINARY
_CONT = Opcode.CONT
_PONG = Opcode.PONG
_OPEN = State.OPEN


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """One verifying client context per process (building one loads the CA bundle: slow)."""
    return ssl.create_default_context()


class SansIOChannel(asyncio.Protocol, Channel):
    """A WebSocket client connection; create it, then ``await channel.open(request)``."""

    def __init__(self, settings: ChannelSettings, on_frame: OnFrame, on_close: OnClose) -> None:
        self._settings = settings
        self._on_frame = on_frame
        self._on_close = on_close
        self._loop = asyncio.get_running_loop()
        self._ws: ClientProtocol | None = None
        self._transport: asyncio.Transport | None = None
        self._opened: asyncio.Future[None] = self._loop.create_future()
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._fragments: list[BytesLike] | None = None
        self._fragment_opcode = _TEXT
        self._paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._closing = False  # we started the close (or gave up): no on_close callback
        self._close_error: BaseException | None = None
        self._ping_handle: asyncio.TimerHandle | None = None
        self._pong_deadline: asyncio.TimerHandle | None = None
        self._abort_handle: asyncio.TimerHandle | None = None
        self._ping_payload: bytes | None = None

    # -- opening -----------------------------------------------------------------------

    async def open(self, request: ChannelRequest) -> None:
        """TCP (+TLS) connect and WebSocket handshake, within ``open_timeout``."""
        with map_websockets_exceptions(connecting=True, secret=request.api_key, url=request.url):
            await self._open(request)

    async def _open(self, request: ChannelRequest) -> None:
        settings = self._settings
        uri = parse_uri(request.url)
        extensions = enable_client_permessage_deflate(None) if settings.compression else None
        ws = ClientProtocol(
            uri,
            extensions=extensions,
            subprotocols=[Subprotocol(p) for p in request.subprotocols] or None,
            max_size=settings.max_size,
            logger=RedactingLogger(logging.getLogger("websockets.client"), request.api_key),
        )
        handshake = ws.connect()
        for name, value in request.headers.items():
            handshake.headers[name] = value
        self._ws = ws
        ws.send_request(handshake)
        context = (settings.ssl or default_ssl_context()) if uri.secure else None
        try:
            async with asyncio.timeout(settings.open_timeout):
                await self._loop.create_connection(
                    lambda: self,
                    uri.host,
                    uri.port,
                    ssl=context,
                    server_hostname=uri.host if context else None,
                )
                await self._opened
        except BaseException:
            if not self._opened.done():
                self._opened.cancel()
            self.abort()
            raise

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though not always an asyncio.Transport subclass (uvloop's is not).
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        transport.set_write_buffer_limits(high=self._settings.write_limit)
        self._flush()

    def _handshake_done(self, response: Response) -> None:
        ws = self._ws
        assert ws is not None
        if self._opened.done():
            return
        if ws.handshake_exc is not None:
            self._opened.set_exception(ws.handshake_exc)
            return
        self.subprotocol = ws.subprotocol
        self._opened.set_result(None)
        self._schedule_ping()

    # -- receiving (the hot path) --------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._receive(data)

    def _receive(self, data: bytes) -> None:
        """websockets parses ``data``; complete messages go to ``on_frame`` before this returns."""
        ws = self._ws
        assert ws is not None
        ws.receive_data(data)
        for event in ws.events_received():
            if type(event) is Frame:
                opcode = event.opcode
                if event.fin and (opcode is _TEXT or opcode is _BINARY):
                    self._deliver(opcode, event.data)
                else:
                    self._control_or_fragment(event)
            elif isinstance(event, Response):
                self._handshake_done(event)
        if ws.handshake_exc is not None and not self._opened.done():
            self._opened.set_exception(ws.handshake_exc)
        self._flush()
        if ws.state is not _OPEN and ws.close_expected():
            self._expect_connection_lost()

    def _deliver(self, opcode: Opcode, data: BytesLike) -> None:
        if opcode is _TEXT:
            try:
                text = str(data, "utf-8")
            except UnicodeDecodeError:
                assert self._ws is not None
                self._ws.fail(1007, "invalid UTF-8 in a text frame")
                return
            self._on_frame(self, text)
        else:
            self._on_frame(self, bytes(data))

    def _control_or_fragment(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is _TEXT or opcode is _BINARY:
            self._fragments = [frame.data]
            self._fragment_opcode = opcode
        elif opcode is _CONT and self._fragments is not None:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), None
                self._deliver(self._fragment_opcode, data)
        elif opcode is _PONG:
            self._on_pong(bytes(frame.data))

    def _on_pong(self, payload: bytes) -> None:
        if payload == self._ping_payload:
            self._ping_payload = None
            if self._pong_deadline is not None:
                self._pong_deadline.cancel()
                self._pong_deadline = None

    def eof_received(self) -> bool | None:
        if self._ws is not None:
            self._ws.receive_eof()
            self._flush()
        return None  # let asyncio close the transport; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        ws = self._ws
        if ws is not None:
            ws.receive_eof()
        self._cancel_timers()
        self._transport = None
        self._wake_drainers(ConnectionClosedError("the WebSocket connection is closed"))
        if not self._opened.done():
            failure = (ws.handshake_exc if ws is not None else None) or exc
            self._opened.set_exception(
                failure or ConnectionFailedError("the connection closed during the handshake")
            )
        elif not self._closing:
            self._closing = True
            error = self._close_error or exc
            # After a closing handshake, how TCP went down does not matter (closing_info).
            info = (
                closing_info(ws.close_rcvd, ws.close_sent, error)
                if ws is not None
                else CloseInfo(1006, "", error)
            )
            self._on_close(self, info)
        if not self._lost.done():
            self._lost.set_result(None)

    # -- sending ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        ws, transport = self._ws, self._transport
        return (
            ws is not None
            and ws.state is _OPEN
            and transport is not None
            and not transport.is_closing()
        )

    def write(self, frames: Sequence[str]) -> None:
        # is_open and _flush, inlined: this runs for every audio chunk sent.
        ws, transport = self._ws, self._transport
        if ws is None or transport is None or ws.state is not _OPEN or transport.is_closing():
            raise ConnectionClosedError("the WebSocket connection is closed")
        for frame in frames:
            ws.send_text(frame.encode())
        self._write_out(ws.data_to_send(), transport)

    @property
    def needs_drain(self) -> bool:
        return self._paused  # drain() returns at once unless writing is paused

    async def drain(self) -> None:
        if not self._paused:
            return
        if self._transport is None:
            raise ConnectionClosedError("the WebSocket connection is closed")
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_drainers(None)

    def _wake_drainers(self, error: BaseException | None) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    def _flush(self) -> None:
        ws, transport = self._ws, self._transport
        if ws is None or transport is None:
            return
        chunks = ws.data_to_send()
        if chunks:  # after most received frames there is nothing to answer
            self._write_out(chunks, transport)

    @staticmethod
    def _write_out(chunks: list[bytes], transport: asyncio.Transport) -> None:
        """Write websockets' output: several frames (a chunk and its commit, a truncate and a
        cancel) in one ``write`` — one send syscall, not one per frame. An empty chunk is
        websockets asking for EOF (after the closing handshake)."""
        if len(chunks) == 1 and chunks[0]:
            transport.write(chunks[0])  # the usual case: one frame, no join
            return
        pending: list[bytes] = []
        for chunk in chunks:
            if chunk:
                pending.append(chunk)
                continue
            if pending:
                transport.write(b"".join(pending))
                pending = []
            if transport.can_write_eof():
                transport.write_eof()
        if pending:
            transport.write(b"".join(pending))

    # -- keepalive -----------------------------------------------------------------------

    def _schedule_ping(self) -> None:
        interval = self._settings.ping_interval
        if interval:
            self._ping_handle = self._loop.call_later(interval, self._send_ping)

    def _send_ping(self) -> None:
        ws = self._ws
        if ws is None or ws.state is not _OPEN:
            return
        if self._ping_payload is None:
            self._ping_payload = os.urandom(4)
            ws.send_ping(self._ping_payload)
            self._flush()
            timeout = self._settings.ping_timeout
            if timeout:
                self._pong_deadline = self._loop.call_later(timeout, self._ping_timed_out)
        self._schedule_ping()

    def _ping_timed_out(self) -> None:
        self._pong_deadline = None
        self._close_error = ConnectionClosedError(
            "the server did not answer a keepalive ping in time"
        )
        if self._ws is not None and self._ws.state is _OPEN:
            self._ws.fail(1011, "keepalive ping timeout")
            self._flush()
        if self._transport is not None:
            self._transport.abort()

    # -- closing -------------------------------------------------------------------------

    def _expect_connection_lost(self) -> None:
        # The closing handshake is done (or failed): the server should now close TCP.
        if self._abort_handle is None and self._transport is not None:
            self._abort_handle = self._loop.call_later(
                self._settings.close_timeout, self._transport.abort
            )

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        self._closing = True
        ws = self._ws
        if ws is not None and ws.state is _OPEN and self._transport is not None:
            ws.send_close(code, reason)
            self._flush()
        if self._transport is not None:
            try:
                async with asyncio.timeout(self._settings.close_timeout):
                    await asyncio.shield(self._lost)
            except TimeoutError:
                pass
        self.abort()

    def abort(self) -> None:
        self._closing = True
        self._cancel_timers()
        if self._transport is not None:
            self._transport.abort()

    def _cancel_timers(self) -> None:
        for handle in (self._ping_handle, self._pong_deadline, self._abort_handle):
            if handle is not None:
                handle.cancel()
        self._ping_handle = self._pong_deadline = self._abort_handle = None
