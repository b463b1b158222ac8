"""A replay peer: answers every ``response.create`` with one recorded emulator turn, as fast
as the socket takes it (frames serialised once, written in large chunks).

The emulator spends more CPU per delta than any client, so against it a client reads one frame
per wake-up and the wake-up dominates what it measures. Against this peer the client is the
bottleneck, frames arrive in batches, and what is measured is the client's own work per delta.
The recorded events are the emulator's (schema-valid GA events), so every client accepts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

__all__ = ["ReplayPeer", "record_turn"]

_CHUNK = 256 * 1024


def _frame(event: dict[str, Any]) -> bytes:
    return Frame(Opcode.TEXT, json.dumps(event).encode()).serialize(mask=False, extensions=[])


async def record_turn(url: str) -> list[dict[str, Any]]:
    """Every server event of one connection that runs one turn (via our thin client)."""
    from realtime_agents_websocket import OpenAIRealtimeWebSocket

    seen: list[dict[str, Any]] = []
    client = OpenAIRealtimeWebSocket(url=url)
    client.on("*", lambda event: seen.append(event.data))
    await client.connect(api_key="sk-record-0123456789")
    await client.send_message("go")
    await client.wait_for("turn_done", timeout=300)
    await asyncio.sleep(0.2)  # rate_limits.updated follows response.done
    await client.close()
    return seen


class ReplayPeer:
    """Serves the recorded events: ``session.created`` on connect, ``session.updated`` on each
    ``session.update``, and the turn (``response.created`` … ``rate_limits.updated``) on each
    ``response.create``."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        kinds = [event["type"] for event in recorded]
        first = kinds.index("response.created")
        self._created = _frame(recorded[kinds.index("session.created")])
        self._updated = _frame(recorded[kinds.index("session.updated")])
        self._turn = b"".join(_frame(event) for event in recorded[first:])
        self.deltas = kinds.count("response.output_audio.delta")

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            yield f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
        finally:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol = ServerProtocol(max_size=None)
        try:
            while data := await reader.read(_CHUNK):
                protocol.receive_data(data)
                for event in protocol.events_received():
                    await self._handle(protocol, event, writer)
                out = protocol.data_to_send()
                writer.writelines(chunk for chunk in out if chunk)
                await writer.drain()
                if b"" in out:  # the closing handshake is done: a server closes TCP now
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _handle(self, protocol: ServerProtocol, event: Any, writer: Any) -> None:
        if isinstance(event, Request):
            protocol.send_response(protocol.accept(event))
            writer.writelines(protocol.data_to_send())
            writer.write(self._created)
        elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
            kind = json.loads(bytes(event.data)).get("type")
            if kind == "session.update":
                writer.write(self._updated)
            elif kind == "response.create":
                for start in range(0, len(self._turn), _CHUNK):
                    writer.write(self._turn[start : start + _CHUNK])
                    await writer.drain()
