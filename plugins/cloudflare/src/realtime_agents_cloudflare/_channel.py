"""The channel: a WebSocket obtained from a ``fetch()`` upgrade, as workerd hands it out.

Workers cannot send an ``Authorization`` header with the ``WebSocket`` constructor, so the
connection is a ``GET`` with ``Upgrade: websocket`` through ``fetch``; a 101 response carries
the socket in ``response.webSocket``. Its semantics, observed in workerd (compat dates
2025-09-01 and 2026-11-01), decide the shape of this class:

* the socket is usable only after ``accept()``; messages that arrived earlier are delivered
  then, and no ``open`` event ever fires, so nothing waits for one;
* binary frames arrive as ``Blob`` from 2026-11-01 unless ``binaryType = "arraybuffer"``;
* after a close an ``error`` event ("Network connection lost.") may follow: noise;
* ``send`` after a close throws from 2026-11-01 (silently ignored before): guarded here;
* a refused upgrade is a plain response: ``webSocket`` is JS ``null``, the body readable.

``send`` is synchronous and workerd exposes no buffered amount, so :meth:`write` sends at
once and :meth:`drain` has nothing to wait for. Every callback given to the socket is a
Pyodide proxy, removed and destroyed when the channel ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from realtime_agents.driver import Channel, ChannelRequest, CloseInfo, OnClose, OnFrame
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError
from realtime_agents.protocol.connection import redact

from . import _ffi
from ._upgrade import fetch_init, http_url

__all__ = ["Fetch", "FetchChannel"]

logger = logging.getLogger("realtime_agents_cloudflare")

#: ``fetch(url, init)`` returning (or awaiting to) a Response: the Worker's global ``fetch``,
#: or any function with its semantics.
Fetch = Callable[[str, Any], Any]

_CLOSED = "the Cloudflare WebSocket connection is closed"


class FetchChannel(Channel):
    """A :class:`Channel` over the socket of a ``fetch()`` upgrade (see the module docstring)."""

    def __init__(
        self, fetch: Fetch, on_frame: OnFrame, on_close: OnClose, open_timeout: float | None
    ) -> None:
        self._fetch = fetch
        self._on_frame = on_frame
        self._on_close = on_close
        self._open_timeout = open_timeout
        self._ws: Any = None
        self._listeners: list[tuple[str, _ffi.Proxy]] = []
        self._open = False
        self._ended = False  # closed by either side: later events are noise
        self._secret: str | None = None

    @property
    def is_open(self) -> bool:
        return self._open

    async def open(self, request: ChannelRequest) -> None:
        self._secret = request.api_key
        response = await self._upgrade(request)
        ws = response.webSocket
        if _ffi.is_null(ws):
            raise await self._refusal(response)
        self._ws = ws
        self._listen(ws)
        try:
            ws.binaryType = "arraybuffer"  # else Blob from 2026-11-01, unreadable synchronously
            ws.accept()
        except Exception as exc:
            self._shut(1000, "")
            message = redact(f"{type(exc).__name__}: {exc}", self._secret)
            raise ConnectionFailedError(f"accepting the WebSocket failed: {message}") from None
        self._open = True
        self.subprotocol = _subprotocol(response)

    async def _upgrade(self, request: ChannelRequest) -> Any:
        url = http_url(request.url)
        init = fetch_init(request, js=_ffi.is_js(self._fetch))
        try:
            async with asyncio.timeout(self._open_timeout):
                return await self._fetch(url, init)
        except TimeoutError:
            raise ConnectionFailedError(
                f"the WebSocket upgrade timed out after {self._open_timeout} s"
            ) from None
        except Exception as exc:
            message = redact(f"{type(exc).__name__}: {exc}", self._secret)
            raise ConnectionFailedError(f"the WebSocket upgrade failed: {message}") from None

    async def _refusal(self, response: Any) -> ConnectionFailedError:
        status = response.status
        try:
            body = str(await response.text())
        except Exception as exc:  # the body is a courtesy: the status says enough
            body = f"(body unreadable: {type(exc).__name__})"
        message = redact(f"Failed to upgrade websocket: {status} {body}", self._secret)
        return ConnectionFailedError(message, code=None)

    def _listen(self, ws: Any) -> None:
        for kind, handler in (
            ("message", self._message),
            ("close", self._closed),
            ("error", self._error),
        ):
            callback = _ffi.proxy(handler)
            ws.addEventListener(kind, callback)
            self._listeners.append((kind, callback))

    def _message(self, event: Any) -> None:
        if self._ended:
            return
        data = event.data
        try:
            self._on_frame(self, data if isinstance(data, str) else _ffi.as_bytes(data))
        except ConnectionClosedError:
            # The answer to this frame could not be sent: the socket closed under us, and its
            # close event says how. Nothing may propagate into the runtime's event dispatch.
            logger.debug("socket closed while answering a frame")

    def _closed(self, event: Any) -> None:
        if self._ended:
            return
        code, reason = int(event.code), str(event.reason)
        error = None if event.wasClean else ConnectionClosedError("the connection was lost")
        self._end(CloseInfo(code, reason, error))

    def _error(self, event: Any) -> None:
        if self._ended:
            # workerd reports "Network connection lost." after a normal close from 2026-11-01.
            logger.debug("error event after close ignored")
            return
        message = redact(str(getattr(event, "message", "") or "error event"), self._secret)
        self._end(CloseInfo(1006, message, ConnectionClosedError(message)))

    def _end(self, info: CloseInfo) -> None:
        self._ended = True
        self._open = False
        self._release_soon()
        self._on_close(self, info)

    def write(self, frames: Sequence[str]) -> None:
        if not self._open:
            raise ConnectionClosedError(_CLOSED)
        try:
            for frame in frames:
                self._ws.send(frame)
        except Exception as exc:
            # Only a socket that closed under us throws here; its close event reports why.
            self._open = False
            raise ConnectionClosedError(_CLOSED) from exc

    async def drain(self) -> None:
        if not self._open:
            raise ConnectionClosedError(_CLOSED)

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        self._shut(code, reason)

    def abort(self) -> None:
        # A Worker's socket has no way to drop TCP: the closest is a close we do not wait on.
        self._shut(1000, "")

    def _shut(self, code: int, reason: str) -> None:
        ws, self._open, self._ended = self._ws, False, True
        if ws is not None:
            try:
                ws.close(code, reason)
            except Exception:  # already closed by the peer
                logger.debug("closing the socket failed", exc_info=True)
        self._release_soon()

    def _release_soon(self) -> None:
        # Never from inside the listener that is running (a close from an event handler):
        # destroying a proxy in the middle of its own call is unsafe.
        try:
            asyncio.get_running_loop().call_soon(self._release)
        except RuntimeError:  # no loop: no listener can be running either
            self._release()

    def _release(self) -> None:
        listeners, self._listeners = self._listeners, []
        for kind, callback in listeners:
            try:
                self._ws.removeEventListener(kind, callback)
            except Exception:
                logger.debug("removeEventListener(%s) failed", kind, exc_info=True)
            callback.destroy()


def _subprotocol(response: Any) -> str | None:
    value = response.headers.get("sec-websocket-protocol")
    return None if _ffi.is_null(value) else str(value)
