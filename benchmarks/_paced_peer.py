"""A paced replay peer: the emulator's recorded events, audio deltas sent in real time, cheaply.

One emulator process saturates its core at about 250 sessions with 20 ms deltas both ways, so
against it a client core's limit cannot be seen. This peer serves the same (recorded,
schema-valid) events with almost no work per message: every frame is serialised once at start,
each streaming connection gets the same pre-framed ``response.output_audio.delta`` every
``chunk_ms`` on its own random phase (N independent calls do not tick in lockstep), and client
frames are parsed by websockets (unmasking is real work) but only their first bytes are read.

The turn: ``response.create`` → the recorded head (``response.created`` … the first delta's
predecessors), then deltas in real time for as long as the connection lives (the tail of the
turn is never reached within a benchmark window). ``session.update`` → ``session.updated``.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from typing import Any, cast

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

__all__ = ["PacedPeer", "record_events", "serve_paced"]

_TICK_S = 0.002  # the ticker's resolution: each connection's phase falls in one slot


async def sleep_until(due: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``due`` on any loop (uvloop's timers truncate
    to whole milliseconds and fire early; rounding up keeps them from spinning)."""
    while (rest := due - time.monotonic()) > 0:  # noqa: ASYNC110 (a deadline, not a poll)
        await asyncio.sleep(math.ceil(rest * 1000) / 1000)


def _frame(event: dict[str, Any]) -> bytes:
    import json

    return Frame(Opcode.TEXT, json.dumps(event).encode()).serialize(mask=False, extensions=[])


async def record_events(chunk_ms: int) -> list[dict[str, Any]]:
    """One emulator turn (deltas of ``chunk_ms``) recorded as fast as it can be generated."""
    from _replay import record_turn

    from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say

    brain = RulesBrain([Rule(then=[Say("a story", audio_ms=10 * chunk_ms)])])
    async with Emulator(
        port=0, audio_speed=0, audio_chunk_ms=chunk_ms, brain=brain, speech="synthetic"
    ) as emu:
        return await record_turn(f"{emu.ws_url}?model=gpt-realtime")


class _Connection(asyncio.Protocol):
    def __init__(self, peer: PacedPeer) -> None:
        self.peer = peer
        self.ws = ServerProtocol(max_size=None)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        ws, transport, peer = self.ws, self.transport, self.peer
        assert transport is not None
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Request):
                ws.send_response(ws.accept(event))
                transport.writelines(ws.data_to_send())
                transport.write(peer.created)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                peer.received += 1
                head = bytes(event.data[:48])
                if b'"session.update"' in head:
                    transport.write(peer.updated)
                elif b'"response.create"' in head:
                    transport.write(peer.head)
                    peer.stream(self)
        for chunk in ws.data_to_send():
            if chunk:
                transport.write(chunk)
            else:
                transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.peer.forget(self)


class PacedPeer:
    """Serves recorded events with real-time audio deltas (see the module docstring)."""

    def __init__(self, recorded: list[dict[str, Any]], chunk_ms: int) -> None:
        kinds = [event["type"] for event in recorded]
        first = kinds.index("response.output_audio.delta")
        self.created = _frame(recorded[kinds.index("session.created")])
        self.updated = _frame(recorded[kinds.index("session.updated")])
        start = kinds.index("response.created")
        self.head = b"".join(_frame(event) for event in recorded[start:first])
        self.delta = _frame(recorded[first])
        self.slots: list[set[_Connection]] = [set() for _ in range(round(chunk_ms / 2) or 1)]
        self.sent = 0  # deltas written
        self.received = 0  # client text frames read
        self._ticker: asyncio.Task[None] | None = None

    def stream(self, connection: _Connection) -> None:
        random.choice(self.slots).add(connection)

    def forget(self, connection: _Connection) -> None:
        for slot in self.slots:
            slot.discard(connection)

    async def serve(self, port: int = 0) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Connection(self), "127.0.0.1", port, backlog=4096
        )
        self._ticker = asyncio.create_task(self._tick())
        return server

    async def _tick(self) -> None:
        """Every 2 ms, one delta to each connection of the slot due (late slots catch up)."""
        due, index, delta = time.monotonic(), 0, self.delta
        while True:
            due += _TICK_S
            await sleep_until(due)
            for connection in list(self.slots[index]):
                if connection.transport is not None:
                    connection.transport.write(delta)
                    self.sent += 1
            index = (index + 1) % len(self.slots)


def serve_paced(conn: Any, chunk_ms: int, cpu: int | None) -> None:
    """Child process: serve on ``cpu``, answering the control pipe as the emulator's does.

    Sends the URL, then: ``open``/``close`` bound the measurement (``close`` answers with the
    loop-lag samples of a 20 ms heartbeat, in ms), ``stop`` ends it (answered ``stopped``).
    """
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    async def main() -> None:
        peer = PacedPeer(await record_events(chunk_ms), chunk_ms)
        server = await peer.serve()
        port = server.sockets[0].getsockname()[1]
        conn.send(f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime")
        lags: list[float] = []
        measuring = False

        async def heartbeat() -> None:
            due = time.monotonic()
            while True:
                due += 0.020
                await sleep_until(due)
                lag = time.monotonic() - due
                if measuring:
                    lags.append(lag * 1000)
                if lag > 0.020:
                    due = time.monotonic()

        beat = asyncio.create_task(heartbeat())
        loop = asyncio.get_running_loop()
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            measuring = command == "open"
            if command == "close":
                conn.send(lags)
                lags = []
        beat.cancel()
        server.close()

    try:  # the peer must stay cheaper than the clients it serves: uvloop when installed
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    conn.send("stopped")
