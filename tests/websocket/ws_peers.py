"""Peers for channel tests: a websockets server, and a raw TCP peer for misbehaviour.

Everything listens on 127.0.0.1 with an OS-assigned port and is closed on exit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@contextlib.asynccontextmanager
async def ws_server(
    handler: Callable[[ServerConnection], Awaitable[None]], **kwargs: Any
) -> AsyncIterator[str]:
    """A websockets server running ``handler`` per connection; yields its ``ws://`` URL."""
    kwargs.setdefault("max_size", None)
    async with serve(handler, "127.0.0.1", 0, **kwargs) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/realtime?model=test"


class RawPeer:
    """One accepted TCP connection of a :func:`raw_server`, driven byte by byte."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.request = b""

    async def read_request(self) -> bytes:
        self.request = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 5)
        return self.request

    async def accept(self) -> None:
        """Answer the handshake with 101 (no extensions, no subprotocol)."""
        await self.read_request()
        key = next(
            line.split(b":", 1)[1].strip()
            for line in self.request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
        self.writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        await self.writer.drain()

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        """An unmasked server frame."""
        head = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", head, n)
        elif n < 65536:
            header = struct.pack("!BBH", head, 126, n)
        else:
            header = struct.pack("!BBQ", head, 127, n)
        self.writer.write(header + payload)

    def reset(self) -> None:
        """Drop the TCP connection abruptly (RST where the OS allows)."""
        transport = self.writer.transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(1, 13, struct.pack("ii", 1, 0))  # SO_LINGER 0 → RST
        transport.abort()


@contextlib.asynccontextmanager
async def raw_server() -> AsyncIterator[tuple[str, asyncio.Queue[RawPeer]]]:
    """A TCP server handing each connection to the test as a :class:`RawPeer`."""
    peers: asyncio.Queue[RawPeer] = asyncio.Queue()
    held: list[RawPeer] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = RawPeer(reader, writer)
        held.append(peer)
        await peers.put(peer)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/v1/realtime?model=test", peers
    finally:
        for peer in held:
            peer.writer.transport.abort()
        server.close()
        await server.wait_closed()
