"""The Twilio side: the WebSocket Twilio opened to your server, behind a small protocol.

Twilio connects to *your* server, so the socket comes from whatever web framework you run.
:class:`TwilioWebSocket` is all the transport needs from it; adapters for aiohttp and
websockets ship here, and any other framework needs a class of three methods (the README
shows Starlette's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from aiohttp import web
    from websockets.asyncio.server import ServerConnection

__all__ = ["AiohttpTwilioSocket", "TwilioWebSocket", "WebsocketsTwilioSocket"]


@runtime_checkable
class TwilioWebSocket(Protocol):
    """A server-side WebSocket carrying one Twilio media stream."""

    async def receive(self) -> str | bytes | None:
        """The next message, or None once the socket is closed (never raises for a close)."""

    async def send(self, text: str) -> None:
        """Send one text frame (may raise once the socket is closed)."""

    async def close(self, code: int = 1000) -> None:
        """Close the socket; idempotent."""


class AiohttpTwilioSocket:
    """An aiohttp ``web.WebSocketResponse`` (already prepared) as a :class:`TwilioWebSocket`."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    async def receive(self) -> str | bytes | None:
        from aiohttp import WSMsgType

        message = await self._ws.receive()
        if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            data: str | bytes = message.data
            return data
        return None  # CLOSE, CLOSING, CLOSED, ERROR: the stream is over

    async def send(self, text: str) -> None:
        await self._ws.send_str(text)

    async def close(self, code: int = 1000) -> None:
        await self._ws.close(code=code)


class WebsocketsTwilioSocket:
    """A websockets (asyncio API) server connection as a :class:`TwilioWebSocket`."""

    def __init__(self, ws: ServerConnection) -> None:
        self._ws = ws

    async def receive(self) -> str | bytes | None:
        from websockets.exceptions import ConnectionClosed

        try:
            return await self._ws.recv()
        except ConnectionClosed:
            return None

    async def send(self, text: str) -> None:
        await self._ws.send(text)

    async def close(self, code: int = 1000) -> None:
        await self._ws.close(code)
