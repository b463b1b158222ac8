"""``OpenAIRealtimeWebSocket``: the Realtime API over one WebSocket, as a transport.

Core's :class:`~realtime_agents.driver.OpenAIRealtimeTransport` does everything but move
frames (protocol, readiness, status, key/model/URL, redaction, close codes); this class adds
only the WebSocket channels and their settings.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from typing import Final, Literal

from realtime_agents.driver import (
    Auth,
    Channel,
    ChannelRequest,
    OnClose,
    OnFrame,
    OpenAIRealtimeTransport,
)
from realtime_agents.errors import UserError
from realtime_agents.transport import ApiKey

from ._channel import ChannelSettings
from ._handshake import proxy_applies
from ._sansio import SansIOChannel
from ._socket import CreateWebSocket, SocketChannel

__all__ = ["DEFAULT_MAX_SIZE", "Backend", "OpenAIRealtimeWebSocket"]

#: Largest incoming message accepted: a 15 MiB audio event is 20 MiB as base64 JSON.
DEFAULT_MAX_SIZE: Final = 32 * 1024 * 1024

Backend = Literal["auto", "sansio", "websockets"]


class OpenAIRealtimeWebSocket(OpenAIRealtimeTransport):
    """The OpenAI Realtime API over a WebSocket (server-side: the API key stays on the server).

    Takes the driver's arguments (``model``, ``api_key``, ``url``, ``headers``, ``auth``,
    ``use_insecure_api_key``, ``ready_timeout``, ``clock``: see
    :class:`~realtime_agents.driver.OpenAIRealtimeTransport`), and:

    Args:
        create_websocket: ``create_websocket(request) -> WebSocketLike`` (or awaitable):
            open the socket yourself (custom stacks, Workers-style fetch upgrades).
        backend: ``"sansio"`` (our protocol driving websockets' sans-I/O client: fastest),
            ``"websockets"`` (websockets' asyncio client: proxies), or ``"auto"`` (sansio
            unless a proxy applies to the URL).
        ping_interval, ping_timeout: keepalive pings (None disables).
        open_timeout, close_timeout: bounds on the handshake and on the closing handshake.
        max_size: largest incoming message in bytes (None: no limit).
        compression: ``"deflate"`` to offer permessage-deflate. Off by default: audio is
            base64 and barely compresses, while deflate costs CPU on every frame.
        ssl: TLS context for ``wss://`` (default: a verifying context).
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: ApiKey | None = None,
        url: str | None = None,
        use_insecure_api_key: bool = False,
        create_websocket: CreateWebSocket | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = "header",
        backend: Backend = "auto",
        ready_timeout: float | None = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        open_timeout: float | None = 10.0,
        close_timeout: float = 5.0,
        max_size: int | None = DEFAULT_MAX_SIZE,
        compression: Literal["deflate"] | None = None,
        ssl: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            model=model,
            api_key=api_key,
            url=url,
            headers=headers,
            auth=auth,
            use_insecure_api_key=use_insecure_api_key,
            ready_timeout=ready_timeout,
            clock=clock,
        )
        if backend not in ("auto", "sansio", "websockets"):
            raise UserError(f"backend must be 'auto', 'sansio' or 'websockets', not {backend!r}")
        self._create_websocket = create_websocket
        self._backend = backend
        self._settings = ChannelSettings(
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_size=max_size,
            compression=compression,
            ssl=ssl,
        )

    def create_channel(
        self, request: ChannelRequest, on_frame: OnFrame, on_close: OnClose
    ) -> Channel:
        """The sans-I/O channel, or websockets' asyncio client behind a proxy or a factory."""
        if self._create_websocket is not None:
            return SocketChannel(self._settings, on_frame, on_close, self._create_websocket)
        backend = self._backend
        if backend == "auto":
            backend = "websockets" if proxy_applies(request.url) else "sansio"
        if backend == "websockets":
            return SocketChannel(self._settings, on_frame, on_close)
        return SansIOChannel(self._settings, on_frame, on_close)
