"""The one place where websockets' (and the OS's) exceptions become ours.

Everything below the channels (websockets' sans-I/O and asyncio clients, a user's
``create_websocket`` factory) may raise backend exceptions; the channels wrap each operation
that can in :func:`map_websockets_exceptions`, so the driver only ever sees
:class:`~realtime_agents.errors.ConnectionFailedError` (while connecting) and
:class:`~realtime_agents.errors.ConnectionClosedError` (afterwards). Messages go through
:func:`redact` first: a server's message may quote the key it rejected.
"""

from __future__ import annotations

import contextlib
import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any, Final

from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)
from websockets.frames import Close

from realtime_agents.driver import CloseInfo, close_error
from realtime_agents.errors import (
    ConnectionClosedError,
    ConnectionFailedError,
    RealtimeAgentsError,
    UserError,
)
from realtime_agents.protocol.connection import redact

__all__ = [
    "RedactingLogger",
    "close_info",
    "closing_info",
    "map_exception",
    "map_websockets_exceptions",
]

_BODY_LIMIT: Final = 300
#: What the close codes we send when we fail a connection mean (RFC 6455 §7.4.1).
_FAILURES: Final = {
    1002: "protocol error",
    1007: "invalid frame payload data",
    1009: "message too big",
    1011: "internal error",
}


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger for websockets that redacts secrets from every message.

    websockets logs each handshake header at DEBUG level, ``Authorization`` included; this
    adapter formats the message first and then redacts it, so enabling DEBUG logging never
    writes a key.
    """

    def __init__(self, logger: logging.Logger, secret: str | None) -> None:
        super().__init__(logger, {})
        self._secret = secret

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            self.logger.log(level, "%s", redact(text, self._secret), **kwargs)


def closing_info(rcvd: Close | None, sent: Close | None, error: BaseException | None) -> CloseInfo:
    """How a connection ended, from the close frames received and sent.

    The peer's close frame says why, if there was one. Without it, a close frame *we* sent
    with an error code means we failed the connection — a frame over ``max_size`` (1009),
    invalid UTF-8 (1007), a keepalive timeout (1011) — and that is the reason to report,
    not "no close frame (1006)".
    """
    if rcvd is not None:
        return CloseInfo(rcvd.code, rcvd.reason)
    if sent is not None and sent.code in _FAILURES:
        name = _FAILURES[sent.code]
        reason = f"{name}: {sent.reason}" if sent.reason and sent.reason != name else name
        if sent.code == 1009:
            reason += "; the transport's max_size sets the limit"
        return CloseInfo(sent.code, reason, error)
    return CloseInfo(1006, "", error)


def close_info(exc: BaseException, ws: object = None) -> CloseInfo:
    """How a connection ended, from what ``recv`` raised (and the socket, if it says more)."""
    if isinstance(exc, ConnectionClosed):
        return closing_info(exc.rcvd, exc.sent, None)
    code = getattr(ws, "close_code", None)
    reason = getattr(ws, "close_reason", None) or ""
    return CloseInfo(code if isinstance(code, int) else 1006, reason, exc)


def _status_error(exc: InvalidStatus, secret: str | None) -> ConnectionFailedError:
    response = exc.response
    message = f"the server rejected the WebSocket handshake: HTTP {response.status_code}"
    body = bytes(response.body or b"")[:_BODY_LIMIT].decode("utf-8", "replace").strip()
    if body:
        message += f": {redact(body, secret)}"
    return ConnectionFailedError(message, code=response.status_code)


def target_of(url: str) -> str:
    """``host:port`` of a WebSocket URL, for messages about reaching it."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme in ("wss", "https") else 80)
    except ValueError:
        return "the server"
    host = parts.hostname or "?"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def map_exception(
    exc: BaseException, *, connecting: bool, secret: str | None = None, target: str = "the server"
) -> BaseException:
    """Our exception for backend exception ``exc`` (``exc`` itself when it is already ours).

    ``target`` (``host:port``) is named in connection failures: "could not connect" alone
    does not say whether the URL, a proxy or the network is at fault.
    """
    if isinstance(exc, RealtimeAgentsError):
        return exc
    if isinstance(exc, InvalidURI):
        return UserError(f"invalid WebSocket URL: {redact(str(exc), secret)}")
    if isinstance(exc, InvalidStatus):
        return _status_error(exc, secret)
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        code = rcvd.code if rcvd is not None else 1006
        return close_error(code, rcvd.reason if rcvd else "", connecting=connecting, secret=secret)
    if isinstance(exc, InvalidHandshake | WebSocketException):
        text = redact(str(exc), secret)
        return ConnectionFailedError(f"the WebSocket handshake failed: {text}")
    if isinstance(exc, TimeoutError):
        return ConnectionFailedError(f"timed out opening the WebSocket connection to {target}")
    if isinstance(exc, OSError | EOFError):
        text = redact(str(exc) or type(exc).__name__, secret)
        if connecting:
            return ConnectionFailedError(f"could not connect to {target}: {text}")
        return ConnectionClosedError(f"the connection was lost: {text}")
    return exc


@contextlib.contextmanager
def map_websockets_exceptions(
    *, connecting: bool, secret: str | None = None, url: str | None = None
) -> Iterator[None]:
    """Re-raise websockets and OS exceptions as realtime-agents errors (see :func:`map_exception`).

    The original exception stays reachable as ``__cause__`` only when it cannot leak
    ``secret``; its message is never copied unredacted. (The driver also cuts any link of
    the chain that mentions the key, ``__context__`` included.)
    """
    try:
        yield
    except Exception as exc:
        target = target_of(url) if url else "the server"
        mapped = map_exception(exc, connecting=connecting, secret=secret, target=target)
        if mapped is exc:
            raise
        if secret and secret in repr(exc):
            raise mapped from None
        raise mapped from exc
