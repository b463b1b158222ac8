"""The portable channel: any :class:`WebSocketLike` object, read and written by owned tasks.

Used with a user's ``create_websocket`` factory, and with websockets' asyncio client when
the sans-I/O channel cannot be (an HTTP or SOCKS proxy applies, or ``backend="websockets"``).
One reader task delivers messages to ``on_frame``; one writer task sends queued frames in
order, so ``write`` stays synchronous and order-preserving like the sans-I/O channel's.

On a connection it opened with websockets, the channel also keeps the connection alive
itself (websockets' own keepalive is off): a ping every ``ping_interval``, and a peer that
has not answered within ``ping_timeout`` is reported at once — websockets would first
wait ``close_timeout`` for a closing handshake the dead peer will never send — exactly
as the sans-I/O channel does. All tasks belong to the channel and are cancelled by
:meth:`SocketChannel.aclose`, which also drops the socket if the closing handshake cannot
finish in ``close_timeout`` (a peer that stopped reading blocks it).
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from realtime_agents.driver import Channel, ChannelRequest, CloseInfo, OnClose, OnFrame
from realtime_agents.errors import ConnectionClosedError

from ._channel import ChannelSettings, WebSocketLike
from ._errors import RedactingLogger, close_info, map_websockets_exceptions

__all__ = ["CreateWebSocket", "SocketChannel", "connect_with_websockets"]

logger = logging.getLogger("realtime_agents_websocket")

#: ``create_websocket(request)``: returns (or awaits to) an open :class:`WebSocketLike`.
CreateWebSocket = Callable[[ChannelRequest], "WebSocketLike | Awaitable[WebSocketLike]"]


async def connect_with_websockets(
    request: ChannelRequest, settings: ChannelSettings
) -> WebSocketLike:
    """Open ``request`` with websockets' asyncio client (honours proxy settings)."""
    from websockets.asyncio.client import connect

    extra: dict[str, Any] = {}
    if settings.ssl is not None and request.url.startswith("wss:"):
        extra["ssl"] = settings.ssl
    return await connect(
        request.url,
        additional_headers=dict(request.headers),
        subprotocols=list(request.subprotocols) or None,  # type: ignore[arg-type]
        compression=settings.compression,
        max_size=settings.max_size,
        open_timeout=settings.open_timeout,
        close_timeout=settings.close_timeout,
        ping_interval=None,  # SocketChannel._keepalive does it (see the module docstring)
        ping_timeout=None,
        user_agent_header=None,  # the request's headers carry ours
        logger=RedactingLogger(logging.getLogger("websockets.client"), request.api_key),
        **extra,
    )


class SocketChannel(Channel):
    """A :class:`Channel` over a :class:`WebSocketLike`; ``await channel.open(request)``."""

    def __init__(
        self,
        settings: ChannelSettings,
        on_frame: OnFrame,
        on_close: OnClose,
        create_websocket: CreateWebSocket | None = None,
    ) -> None:
        self._settings = settings
        self._on_frame = on_frame
        self._on_close = on_close
        self._create = create_websocket
        self._ws: WebSocketLike | None = None
        self._queue: collections.deque[str] = collections.deque()
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._open = False
        self._closing = False

    async def open(self, request: ChannelRequest) -> None:
        with map_websockets_exceptions(connecting=True, secret=request.api_key, url=request.url):
            if self._create is None:
                self._ws = await connect_with_websockets(request, self._settings)
            else:
                async with asyncio.timeout(self._settings.open_timeout):
                    made = self._create(request)
                    self._ws = await made if inspect.isawaitable(made) else made
        self.subprotocol = getattr(self._ws, "subprotocol", None)
        self._open = True
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._read(), name="realtime_agents_websocket reader"),
            loop.create_task(self._write(), name="realtime_agents_websocket writer"),
        ]
        if self._create is None and self._settings.ping_interval:
            keepalive = loop.create_task(self._keepalive(), name="realtime_agents_websocket ping")
            self._tasks.append(keepalive)

    @property
    def is_open(self) -> bool:
        return self._open

    def write(self, frames: Sequence[str]) -> None:
        if not self._open:
            raise ConnectionClosedError("the WebSocket connection is closed")
        self._queue.extend(frames)
        self._drained.clear()
        self._wake.set()

    async def drain(self) -> None:
        if self._queue:
            await self._drained.wait()
        if not self._open:
            raise ConnectionClosedError("the WebSocket connection is closed")

    async def _read(self) -> None:
        ws = self._ws
        assert ws is not None
        try:
            while True:
                self._on_frame(self, await ws.recv())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            info = close_info(exc, ws)
        self._finish(info)

    async def _write(self) -> None:
        ws = self._ws
        assert ws is not None
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    await ws.send(self._queue.popleft())
                self._drained.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The reader sees the same closure and reports it; just stop writing.
            logger.debug("websocket send failed: %s", type(exc).__name__)
            self._open = False
            self._drained.set()

    async def _keepalive(self) -> None:
        ws = self._ws
        interval, timeout = self._settings.ping_interval, self._settings.ping_timeout
        assert ws is not None
        assert interval
        ping = ws.ping  # type: ignore[attr-defined]  # websockets' connection (see open)
        while True:
            await asyncio.sleep(interval)
            try:
                # The ping itself is inside the deadline: a peer that stopped reading blocks
                # the send, and that is as dead as a peer that does not answer.
                async with asyncio.timeout(timeout):
                    await (await ping())
            except TimeoutError:
                error = ConnectionClosedError("the server did not answer a keepalive ping in time")
                self._finish(CloseInfo(1011, "keepalive ping timeout", error))
                self._drop_socket()
                return
            except Exception:
                return  # the connection is closing: the reader reports how

    def _drop_socket(self) -> None:
        # websockets' connections expose their asyncio transport; aborting it is the only way
        # to let go of a socket whose closing handshake cannot complete.
        transport = getattr(self._ws, "transport", None)
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()

    def _finish(self, info: CloseInfo) -> None:
        self._open = False
        self._drained.set()
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if not self._closing:
            self._closing = True
            self._on_close(self, info)

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        self._closing = True
        self._open = False
        self._drained.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._ws is not None:
            try:
                async with asyncio.timeout(self._settings.close_timeout):
                    await self._ws.close(code, reason)
            except TimeoutError:
                self._drop_socket()
            except Exception:
                logger.debug("closing the websocket failed", exc_info=True)
                self._drop_socket()

    def abort(self) -> None:
        # Only the tasks can be stopped synchronously; aclose() releases the socket.
        self._open = False
        for task in self._tasks:
            task.cancel()
