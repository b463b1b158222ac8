"""The channel seam: what an OpenAI transport needs from whatever moves its frames.

:class:`~.transport.OpenAIRealtimeTransport` does everything an OpenAI transport does except
moving bytes; a :class:`Channel` moves them. One channel is one connection:

* :meth:`Channel.open` connects (a WebSocket handshake, an SDP exchange plus a data channel, a
  ``fetch()`` upgrade in a Worker ...). Frames may arrive before it returns. It raises only
  :class:`~realtime_agents.errors.ConnectionFailedError` (or :class:`UserError` for a bad
  request): each channel maps its backend's exceptions at its own edge, redacting
  ``request.api_key`` from every message.
* ``on_frame(channel, data)`` gets each incoming message, in order (``str`` for text,
  ``bytes`` for binary), synchronously from the channel's I/O callback or reader task.
* :meth:`Channel.write` queues text frames in order and never blocks;
  :meth:`Channel.drain` waits while the write buffer is over its limit (backpressure).
* ``on_close(channel, info)`` is called once when the connection ends by itself (the peer
  closed it, it was lost, a keepalive timed out) — never for a close the transport asked for
  with :meth:`Channel.aclose` or :meth:`Channel.abort`.

Channels are not reusable: the transport builds a new one for every connection.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import attrs

from ..errors import ConnectionClosedError, ConnectionFailedError, RealtimeAgentsError
from ..protocol.connection import redact

__all__ = [
    "NORMAL_CLOSE_CODES",
    "Channel",
    "ChannelRequest",
    "CloseInfo",
    "OnClose",
    "OnFrame",
    "close_error",
]

#: Close codes that end a connection normally (1000 normal, 1001 going away).
NORMAL_CLOSE_CODES: Final = frozenset({1000, 1001})

_SECRET_HEADERS: Final = frozenset({"authorization", "api-key", "openai-api-key"})


def _hidden(value: object) -> str:
    return "<hidden>" if value else repr(value)


def _headers_repr(headers: Mapping[str, str]) -> str:
    shown = {k: ("<hidden>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}
    return repr(shown)


@attrs.frozen(kw_only=True)
class ChannelRequest:
    """What a channel opens: the URL, the headers and subprotocols carrying auth, and the key.

    ``api_key`` is there so the channel can redact it from anything it reports; secrets never
    show in the repr.
    """

    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=_headers_repr)
    subprotocols: Sequence[str] = attrs.field(default=(), repr=lambda s: f"<{len(s)} offered>")
    api_key: str | None = attrs.field(default=None, repr=_hidden)


@attrs.frozen
class CloseInfo:
    """How a connection ended: the peer's close ``code`` and ``reason``, and ``error`` if any.

    ``code`` is 1006 for a connection lost without a closing handshake, None when the backend
    has no close codes.
    """

    code: int | None
    reason: str = ""
    error: BaseException | None = None


OnFrame = Callable[["Channel", str | bytes], None]
OnClose = Callable[["Channel", CloseInfo], None]


class Channel(abc.ABC):
    """One connection that moves frames for a transport (see the module docstring)."""

    #: The subprotocol the server selected, if the backend has such a thing.
    subprotocol: str | None = None

    @property
    @abc.abstractmethod
    def is_open(self) -> bool:
        """Whether frames can still be written."""

    @abc.abstractmethod
    async def open(self, request: ChannelRequest) -> None:
        """Connect; raises ConnectionFailedError (never a backend exception)."""

    @abc.abstractmethod
    def write(self, frames: Sequence[str]) -> None:
        """Queue text frames, in order; raises ConnectionClosedError once closed. Never blocks."""

    @abc.abstractmethod
    async def drain(self) -> None:
        """Wait until the write buffer is below its limit; ConnectionClosedError if it closed."""

    @property
    def needs_drain(self) -> bool:
        """Whether :meth:`drain` may have to wait (or raise); False lets a caller skip it.

        A per-chunk writer (the microphone path) asks this instead of making and awaiting a
        coroutine for every chunk. True unless the channel knows better: always correct.
        """
        return True

    @abc.abstractmethod
    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Close gracefully within a bounded time, then release everything (no ``on_close``)."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop the connection now, without a closing handshake; idempotent (no ``on_close``)."""


def close_error(
    code: int | None, reason: str, *, connecting: bool, secret: str | None = None
) -> RealtimeAgentsError:
    """Our exception for a connection the peer closed with ``code`` and ``reason``.

    ConnectionFailedError while connecting (the server refused us), ConnectionClosedError
    afterwards. The reason is redacted: a server may quote the key it rejected.
    """
    text = redact(reason, secret) if reason else "no reason given"
    where = f"close code {code}" if code is not None else "no close code"
    if connecting:
        return ConnectionFailedError(
            f"the server refused the connection: {text} ({where})", code=code
        )
    return ConnectionClosedError(f"the connection closed: {text} ({where})")
