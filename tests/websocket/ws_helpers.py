"""Helpers for the WebSocket transport tests: event recording and leak checks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from realtime_agents.transport import RealtimeTransportLayer
from realtime_agents_emulator import Emulator
from realtime_agents_websocket import OpenAIRealtimeWebSocket

MODEL = "gpt-realtime"
KEY = "sk-test-0123456789abcdef"


def url_of(emu: Emulator, query: str = "") -> str:
    return f"{emu.ws_url}?model={MODEL}" + (f"&{query}" if query else "")


def make_transport(emu: Emulator, query: str = "", **options: Any) -> OpenAIRealtimeWebSocket:
    return OpenAIRealtimeWebSocket(url=url_of(emu, query), **options)


class Recorder:
    """Records ``(name, payload)`` for the given event names, in publication order."""

    def __init__(self, transport: RealtimeTransportLayer, names: Iterable[str]) -> None:
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        for name in names:
            transport.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(payload: Any) -> None:
            self.events.append((name, payload))
            self._changed.set()

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def of(self, name: str) -> list[Any]:
        return [payload for n, payload in self.events if n == name]

    async def wait_for(
        self, name: str, predicate: Callable[[Any], bool] | None = None, timeout: float = 5.0
    ) -> Any:
        """The first recorded ``name`` event (already recorded ones count)."""
        async with asyncio.timeout(timeout):
            while True:
                for n, payload in self.events:
                    if n == name and (predicate is None or predicate(payload)):
                        return payload
                self._changed.clear()
                await self._changed.wait()


def our_pending_tasks() -> list[asyncio.Task[Any]]:
    """Tasks started by realtime-agents that are still running."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and task.get_name().startswith("realtime_agents")
    ]


async def assert_no_tasks_left() -> None:
    await asyncio.sleep(0)
    assert our_pending_tasks() == []
