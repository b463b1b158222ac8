"""The SIP transport layer over UDP: datagrams in and out, and retransmission (RFC 3261 §17).

UDP loses datagrams, so SIP repeats itself: a server repeats its final answer to an INVITE
until the caller's ACK (timer G), and a client repeats a request until a response comes
(timers A/E). :class:`SipSocket` does both with one rule — resend every T1 (500 ms), doubling
up to T2 (4 s), until :meth:`SipSocket.settle` is called for that key or 64 × T1 have passed —
and hands every parsed message to its :class:`SipHandler`. Unparseable datagrams are logged
and dropped (there is no reliable way to answer them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from typing import Protocol, cast

from sipmessage import Request, Response

from .messages import parse

__all__ = ["T1", "SipHandler", "SipSocket"]

log = logging.getLogger(__name__)

T1 = 0.5
_T2 = 4.0
_GIVE_UP = 64 * T1

Address = tuple[str, int]


class SipHandler(Protocol):
    def on_request(self, request: Request, raw: bytes, source: Address) -> None: ...

    def on_response(self, response: Response, source: Address) -> None: ...


class SipSocket(asyncio.DatagramProtocol):
    """A UDP socket speaking SIP for ``handler``."""

    def __init__(self, handler: SipHandler, on_crash: Callable[[BaseException], None]) -> None:
        self._handler = handler
        self._on_crash = on_crash
        self._transport: asyncio.DatagramTransport | None = None
        self._lost: asyncio.Future[None] | None = None
        self._pending: dict[Hashable, asyncio.Task[None]] = {}

    @property
    def address(self) -> Address:
        assert self._transport is not None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport is not a DatagramTransport subclass.
        self._transport = cast(asyncio.DatagramTransport, transport)
        self._lost = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        source = (str(addr[0]), int(str(addr[1])))
        if not data.strip():
            return  # a keep-alive (CRLF) datagram
        try:
            message = parse(data)
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            log.warning("dropped a datagram from %s:%d that is not SIP: %s", *source, exc)
            return
        try:
            if isinstance(message, Request):
                self._handler.on_request(message, data, source)
            else:
                self._handler.on_response(message, source)
        except Exception as exc:  # an emulator bug: report it, keep the socket
            log.exception("error handling a SIP message")
            self._on_crash(exc)

    def send(self, message: Request | Response, to: Address) -> bytes:
        """Send once; the bytes sent (to repeat them for a retransmitted request)."""
        return self.send_bytes(bytes(message), to)

    def send_bytes(self, data: bytes, to: Address) -> bytes:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, to)
        return data

    def send_reliably(
        self,
        key: Hashable,
        message: Request | Response,
        to: Address,
        on_timeout: Callable[[], None] | None = None,
    ) -> bytes:
        """Send, then repeat until :meth:`settle` (``key``) or until it is time to give up."""
        data = self.send(message, to)
        self.settle(key)
        task = asyncio.get_running_loop().create_task(self._repeat(data, to, on_timeout))
        self._pending[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))
        return data

    def settle(self, key: Hashable) -> bool:
        """Stop repeating ``key``; whether it was still being repeated."""
        task = self._pending.pop(key, None)
        if task is None:
            return False
        task.cancel()
        return True

    def _forget(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._pending.get(key) is task:
            del self._pending[key]

    async def _repeat(
        self, data: bytes, to: Address, on_timeout: Callable[[], None] | None
    ) -> None:
        interval, waited = T1, 0.0
        while waited + interval <= _GIVE_UP:
            await asyncio.sleep(interval)
            waited += interval
            if self._transport is None or self._transport.is_closing():
                return
            self._transport.sendto(data, to)
            interval = min(2 * interval, _T2)
        if on_timeout is not None:
            on_timeout()

    async def close(self) -> None:
        tasks = list(self._pending.values())
        self._pending.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._transport is not None:
            self._transport.close()
        if self._lost is not None:
            await self._lost  # the socket is closed on the next turn of the loop
