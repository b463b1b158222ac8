"""The harnesses of the transports in this repository (see :mod:`contract_harness`).

A new transport adds a class here and appends it to :data:`BUILTIN_HARNESSES`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from contract_harness import (
    AUDIO_EVENTS,
    CANCELLABLE_CONNECT,
    PEER,
    RAW_EVENTS,
    TransportHarness,
)
from server_event_checks import check_emulator

from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.transport import ConnectOptions, RealtimeTransportLayer

API_KEY = "sk-contract-0123456789"
MODEL = "gpt-realtime"


class EmulatorHarness(TransportHarness):
    """Base for transports whose peer is the emulator over real loopback sockets."""

    capabilities: ClassVar[frozenset[str]] = frozenset(
        {PEER, AUDIO_EVENTS, RAW_EVENTS, CANCELLABLE_CONNECT}
    )

    def __init__(self) -> None:
        super().__init__()
        self.emulator: Any = None

    async def start(self, brain: Any = None, **peer_options: Any) -> None:
        from realtime_agents_emulator import Emulator

        peer_options.setdefault("audio_speed", 0)
        peer_options.setdefault("speech", "synthetic")
        self.emulator = Emulator(brain=brain, **peer_options)
        await self.emulator.start()

    async def stop(self) -> None:
        await super().stop()
        if self.emulator is not None:
            await self.emulator.stop()
            check_emulator(self.emulator)  # every event it sent is a real Realtime API event

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "model": MODEL,
            "url": f"{self.emulator.ws_url}?model={MODEL}",
        }
        options.update(overrides)
        return ConnectOptions(**options)

    async def received(
        self,
        type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = 5.0,
        index: int = -1,
    ) -> dict[str, Any]:
        conn = self.emulator.connections[index]
        event: dict[str, Any] = await conn.wait_for_client_event(type, where=where, timeout=timeout)
        return event

    async def drop(self, *, index: int = -1) -> None:
        await self.emulator.connections[index].drop()

    def is_peer_task(self, task: asyncio.Task[Any]) -> bool:
        code = getattr(task.get_coro(), "cr_code", None)
        filename = getattr(code, "co_filename", "")
        return "realtime_agents_emulator" in filename or "aiohttp" in filename


class WebSocketHarness(EmulatorHarness):
    """``OpenAIRealtimeWebSocket`` with the default (sans-I/O) connection."""

    name = "websocket"
    backend = "sansio"

    def _build(self) -> RealtimeTransportLayer:
        from realtime_agents_websocket import OpenAIRealtimeWebSocket

        return OpenAIRealtimeWebSocket(backend=self.backend)  # type: ignore[arg-type]


class WebSocketAsyncioHarness(WebSocketHarness):
    """``OpenAIRealtimeWebSocket`` over websockets' asyncio client."""

    name = "websocket-asyncio"
    backend = "websockets"


class ScriptedHarness(TransportHarness):
    """Core's in-memory ``ScriptedRealtimeTransport``: the lifecycle part of the contract only."""

    name = "scripted"
    capabilities: ClassVar[frozenset[str]] = frozenset({CANCELLABLE_CONNECT})

    async def start(self, brain: Any = None, **peer_options: Any) -> None:
        if brain is not None or peer_options:
            raise TypeError("the scripted transport has no peer to script")

    def _build(self) -> RealtimeTransportLayer:
        return ScriptedRealtimeTransport()

    def connect_options(self, **overrides: Any) -> ConnectOptions:
        return ConnectOptions(**{"api_key": API_KEY, "model": MODEL, **overrides})


BUILTIN_HARNESSES: list[type[TransportHarness]] = [
    WebSocketHarness,
    WebSocketAsyncioHarness,
    ScriptedHarness,
]
