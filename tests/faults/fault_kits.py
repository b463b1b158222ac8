"""Transports under the fault matrix: one kit per transport (and backend), each with a real peer.

A kit builds its transport against a running emulator, with the knobs the matrix turns
(keepalive timings, the frame size limit) spelled the way that transport spells them. Adding a
transport to the matrix (WebRTC, SIP, Cloudflare, ...) is adding a kit to :data:`KITS`; every
case in ``test_fault_matrix.py`` then runs on it.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from realtime_agents.transport import RealtimeTransportLayer
from realtime_agents_emulator import Emulator
from realtime_agents_emulator.connection import ServerConnection

MODEL = "gpt-realtime"


class Kit(abc.ABC):
    """How the matrix builds one transport and reaches the peer at the other end."""

    name: ClassVar[str]

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    @abc.abstractmethod
    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        """A new transport for the emulator: ``keepalive`` is (interval, timeout) in seconds."""

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments of ``transport.connect`` (the key is added by the matrix)."""
        return {}

    def peer(self) -> ServerConnection:
        """The emulator's side of the newest connection."""
        return self.emulator.connections[-1]


class WebSocketKit(Kit):
    """``OpenAIRealtimeWebSocket`` with one of its two channel backends."""

    backend: ClassVar[str]

    def transport(
        self,
        *,
        keepalive: tuple[float, float] | None = None,
        max_frame: int | None = None,
        close_timeout: float | None = None,
    ) -> RealtimeTransportLayer:
        from realtime_agents_websocket import OpenAIRealtimeWebSocket

        options: dict[str, Any] = {"backend": self.backend}
        if keepalive is not None:
            options["ping_interval"], options["ping_timeout"] = keepalive
        if max_frame is not None:
            options["max_size"] = max_frame
        if close_timeout is not None:
            options["close_timeout"] = close_timeout
        return OpenAIRealtimeWebSocket(url=f"{self.emulator.ws_url}?model={MODEL}", **options)


class SansIOWebSocketKit(WebSocketKit):
    name = "websocket"
    backend = "sansio"


class WebsocketsWebSocketKit(WebSocketKit):
    name = "websocket-websockets"
    backend = "websockets"


#: Every transport of this repository with a real peer; the matrix runs each case on each.
KITS: list[type[Kit]] = [SansIOWebSocketKit, WebsocketsWebSocketKit]
