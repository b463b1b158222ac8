"""The seam between the transport and whatever moves WebSocket frames.

A :class:`Channel` is one open WebSocket connection seen from the transport: it delivers each
incoming message to ``on_frame`` (a ``str`` for text, ``bytes`` for binary) in order, writes
outgoing text frames in the order it is given them, and reports the end of the connection
once to ``on_close``. Two implementations exist:

* :mod:`._sansio`: our own :class:`asyncio.Protocol` driving websockets' sans-I/O
  ``ClientProtocol`` — frames are handled inside ``data_received`` with no task switch;
* :mod:`._socket`: any object with ``send``/``recv``/``close`` (websockets' asyncio client,
  or what a user's ``create_websocket`` factory returns), read by one owned task.
"""

from __future__ import annotations

import abc
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

import attrs

__all__ = [
    "Channel",
    "ChannelSettings",
    "CloseInfo",
    "OnClose",
    "OnFrame",
    "WebSocketLike",
    "WebSocketRequest",
]


def _hidden(value: object) -> str:
    return "<hidden>" if value else repr(value)


def _headers_repr(headers: Mapping[str, str]) -> str:
    secret = {"authorization", "api-key", "openai-api-key"}
    shown = {k: ("<hidden>" if k.lower() in secret else v) for k, v in headers.items()}
    return repr(shown)


@attrs.frozen(kw_only=True)
class WebSocketRequest:
    """What to open: passed to a ``create_websocket`` factory. Secrets never show in reprs."""

    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=_headers_repr)
    subprotocols: Sequence[str] = attrs.field(default=(), repr=lambda s: f"<{len(s)} offered>")
    api_key: str | None = attrs.field(default=None, repr=_hidden)


@runtime_checkable
class WebSocketLike(Protocol):
    """An open WebSocket: what a ``create_websocket`` factory returns.

    websockets' ``ClientConnection`` is one. ``recv`` returns the next message (``str`` for
    text frames) and raises when the connection has closed; ``close`` is idempotent.
    """

    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@attrs.frozen
class CloseInfo:
    """How a connection ended: the peer's close ``code`` and ``reason``, and ``error`` if any.

    ``code`` is 1006 for a connection lost without a closing handshake.
    """

    code: int | None
    reason: str = ""
    error: BaseException | None = None


OnFrame = Callable[["Channel", str | bytes], None]
OnClose = Callable[["Channel", CloseInfo], None]


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


class Channel(abc.ABC):
    """One open connection; see the module docstring. Not reusable once closed."""

    #: The subprotocol the server selected, if any.
    subprotocol: str | None = None

    @property
    @abc.abstractmethod
    def is_open(self) -> bool:
        """Whether frames can still be written."""

    @abc.abstractmethod
    async def open(self, request: WebSocketRequest) -> None:
        """Connect and complete the WebSocket handshake (frames may arrive before it returns)."""

    @abc.abstractmethod
    def write(self, frames: Sequence[str]) -> None:
        """Queue text frames, in order; raises ConnectionClosedError once closed. Never blocks."""

    @abc.abstractmethod
    async def drain(self) -> None:
        """Wait until the write buffer is below its limit (backpressure for senders)."""

    @abc.abstractmethod
    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Close with a closing handshake, bounded by ``close_timeout``; then release everything.

        ``on_close`` is not called for a close the transport asked for.
        """

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop the connection now, without a closing handshake (idempotent)."""
