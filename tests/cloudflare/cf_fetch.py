"""A ``fetch`` for CPython with workerd's WebSocket-upgrade semantics, over real sockets.

Layer 1 of the Cloudflare tests (and the fault matrix's kit) run the transport in CPython
against the emulator; this is what stands in for the Worker's ``fetch``. It speaks to the
server with websockets' asyncio client and hands out a socket that behaves as workerd's does
(reference: cloudflare-sip-twilio.md §A2, re-checked against real workerd by the probe in
``test_cf_probe.py``, whose Node twin is ``js/shim.mjs``):

* a non-101 answer is a Response whose ``webSocket`` is null (None here) and whose body is
  readable with ``text()``;
* ``send`` before ``accept()`` throws; messages that arrive earlier wait for ``accept()``;
* no ``open`` event; events are dispatched one per loop turn, never inside a call;
* ``binaryType`` defaults to ``"arraybuffer"`` before compat date 2026-11-01, ``"blob"`` from it;
* ``readyState`` changes when the close event is dispatched (2 before 2026-11-01, 3 from it;
  3 for a close the worker started);
* a server's close gives ``close`` (``wasClean`` true) and, from 2026-11-01, then ``error``
  "Network connection lost."; ``send`` after it is ignored before that date, throws from it;
* ``send`` after the worker's own ``close()`` throws at both dates.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

NEW_COMPAT = "2026-11-01"
OLD_COMPAT = "2025-09-01"

_HOP_HEADERS = {"upgrade", "connection", "sec-websocket-protocol"}


class Event:
    """A DOM-style event: attributes as workerd gives them."""

    def __init__(self, type: str, **fields: Any) -> None:
        self.type = type
        self.__dict__.update(fields)


class Blob:
    """What workerd hands out for a binary frame when ``binaryType`` is ``"blob"``."""

    def __init__(self, data: bytes) -> None:
        self.size = len(data)


class Response:
    def __init__(
        self, status: int, web_socket: WorkerdWebSocket | None, headers: dict[str, str], body: str
    ) -> None:
        self.status = status
        self.webSocket = web_socket
        self.headers = headers
        self._body = body

    async def text(self) -> str:
        return self._body


class WorkerdWebSocket:
    """The socket of a ``fetch`` upgrade, with workerd's observable behaviour."""

    def __init__(self, conn: ClientConnection, compat: str) -> None:
        self._conn = conn
        self._new = compat >= NEW_COMPAT
        self.binaryType = "blob" if self._new else "arraybuffer"
        self.readyState = 1
        self.accepted = False
        #: Exceptions our listeners let escape into the runtime's dispatch (must stay empty).
        self.listener_errors: list[Exception] = []
        self._listeners: dict[str, list[Callable[[Any], None]]] = {}
        self._pending: list[tuple[Event, Callable[[], None] | None]] = []
        self._closed_by_us = False
        self._closed_by_peer = False
        self._reader = asyncio.get_running_loop().create_task(self._read())

    def listener_count(self) -> int:
        return sum(len(callbacks) for callbacks in self._listeners.values())

    def addEventListener(self, type: str, callback: Callable[[Any], None]) -> None:
        self._listeners.setdefault(type, []).append(callback)

    def removeEventListener(self, type: str, callback: Callable[[Any], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.get(type, []).remove(callback)

    def accept(self) -> None:
        self.accepted = True
        pending, self._pending = self._pending, []
        for event, before in pending:
            self._dispatch(event, before)

    def send(self, data: str) -> None:
        if not self.accepted:
            raise TypeError(
                "You must call one of accept() or state.acceptWebSocket() on this WebSocket "
                "before sending messages."
            )
        if self._closed_by_us or (self._closed_by_peer and self._new):
            raise TypeError("Can't call WebSocket send() after close().")
        if self._closed_by_peer:
            return  # ignored before 2026-11-01
        asyncio.get_running_loop().create_task(self._send(data))

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self._closed_by_us or self._closed_by_peer:
            return
        self._closed_by_us = True
        self.readyState = 2
        asyncio.get_running_loop().create_task(self._conn.close(code, reason))

    async def _send(self, data: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._conn.send(data)

    async def _read(self) -> None:
        try:
            async for message in self._conn:
                if isinstance(message, str):
                    self._queue(Event("message", data=message))
                elif self.binaryType == "arraybuffer":
                    self._queue(Event("message", data=bytes(message)))
                else:
                    self._queue(Event("message", data=Blob(bytes(message))))
        except ConnectionClosed:
            pass
        by_us = self._closed_by_us
        self._closed_by_peer = not by_us
        received = self._conn.protocol.close_rcvd
        if received is None:
            close = Event("close", code=1006, reason="", wasClean=False)
        else:
            close = Event(
                "close", code=received.code, reason="" if by_us else received.reason, wasClean=True
            )

        def state() -> None:  # readyState changes as the event is dispatched
            self.readyState = 3 if by_us or self._new else 2

        self._queue(close, state)
        if self._new and not by_us:
            self._queue(Event("error", message="Uncaught Error: Network connection lost."))

    def _queue(self, event: Event, before: Callable[[], None] | None = None) -> None:
        if self.accepted:
            self._dispatch(event, before)
        else:
            self._pending.append((event, before))

    def _dispatch(self, event: Event, before: Callable[[], None] | None = None) -> None:
        def fire() -> None:
            if before is not None:
                before()
            for callback in list(self._listeners.get(event.type, [])):
                try:
                    callback(event)
                except Exception as exc:  # workerd would report it as uncaught
                    self.listener_errors.append(exc)

        asyncio.get_running_loop().call_soon(fire)

    async def wait_closed(self) -> None:
        """For tests: until the connection and its reader are done."""
        await self._conn.wait_closed()
        await self._reader


class WorkerdFetch:
    """``fetch(url, init)`` with workerd's semantics; remembers the sockets it handed out."""

    def __init__(self, compat: str = NEW_COMPAT) -> None:
        self.compat = compat
        self.sockets: list[WorkerdWebSocket] = []
        self.requests: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, url: str, init: dict[str, Any]) -> Response:
        headers = dict(init.get("headers", {}))
        self.requests.append((url, headers))
        lowered = {k.lower(): v for k, v in headers.items()}
        protocols = [p.strip() for p in lowered.get("sec-websocket-protocol", "").split(",") if p]
        extra = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
        ws_url = "ws" + url.removeprefix("http")
        try:
            conn = await connect(
                ws_url,
                additional_headers=extra,
                subprotocols=protocols or None,  # type: ignore[arg-type]
                user_agent_header=None,
                ping_interval=None,
                max_size=None,
            )
        except InvalidStatus as exc:
            answer = exc.response
            body = answer.body.decode("utf-8", "replace") if answer.body else ""
            return Response(answer.status_code, None, dict(answer.headers), body)
        socket = WorkerdWebSocket(conn, self.compat)
        self.sockets.append(socket)
        chosen = {"sec-websocket-protocol": conn.subprotocol} if conn.subprotocol else {}
        return Response(101, socket, chosen, "")

    async def aclose(self) -> None:
        for socket in self.sockets:
            socket.close()
        for socket in self.sockets:
            await socket.wait_closed()
