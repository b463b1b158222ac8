"""The WebSocket side of core's channel seam (:mod:`realtime_agents.driver.channel`).

Two :class:`~realtime_agents.driver.Channel` implementations move WebSocket frames:

* :mod:`._sansio`: our own :class:`asyncio.Protocol` driving websockets' sans-I/O
  ``ClientProtocol`` — frames are handled inside ``data_received`` with no task switch;
* :mod:`._socket`: any object with ``send``/``recv``/``close`` (websockets' asyncio client,
  or what a user's ``create_websocket`` factory returns), read by one owned task.

This module holds what they share: their settings, and the shape of a user-made socket.
"""

from __future__ import annotations

import ssl
from typing import Literal, Protocol, runtime_checkable

import attrs

from realtime_agents.driver import ChannelRequest

__all__ = ["ChannelSettings", "WebSocketLike", "WebSocketRequest"]

#: What a ``create_websocket`` factory is asked to open (core's :class:`ChannelRequest`).
WebSocketRequest = ChannelRequest


@runtime_checkable
class WebSocketLike(Protocol):
    """An open WebSocket: what a ``create_websocket`` factory returns.

    websockets' ``ClientConnection`` is one. ``recv`` returns the next message (``str`` for
    text frames) and raises when the connection has closed; ``close`` is idempotent.
    """

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@attrs.frozen(kw_only=True)
class ChannelSettings:
    """Connection knobs shared by both channel implementations (see the transport's docs)."""

    open_timeout: float | None = 10.0
    close_timeout: float = 5.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    max_size: int | None = 32 * 1024 * 1024
    compression: Literal["deflate"] | None = None
    ssl: ssl.SSLContext | None = None
    write_limit: int = 256 * 1024
