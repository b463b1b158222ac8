"""Helpers for session tests: a fresh plugin host, settling a session, recording its events."""

from __future__ import annotations

import asyncio
from typing import Any

from realtime_agents.plugins import PluginHost, build_plugin_manager
from realtime_agents.session import RealtimeSession


def make_host(*plugins: object) -> PluginHost:
    """A plugin host that sees only ``plugins`` (never the installed entry points)."""
    return PluginHost(build_plugin_manager(plugins=plugins, load_entry_points=False))


async def settle(session: RealtimeSession[Any], timeout: float = 5.0) -> None:
    """Wait until the session has processed its queue and its tasks have finished.

    Calls parked for an approval count as finished: they wait for the test, not the session.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    idle_rounds = 0
    while idle_rounds < 3:
        await asyncio.sleep(0)
        busy = len(session._link.queue) or len(session._tasks) > len(session._tools._pending)
        idle_rounds = 0 if busy else idle_rounds + 1
        if busy:
            if loop.time() > deadline:
                raise TimeoutError("the session did not settle")
            await asyncio.sleep(0.001)


class Recorder:
    """Records every session event (name, payload) in publication order."""

    def __init__(self, session: RealtimeSession[Any], names: tuple[str, ...] | None = None) -> None:
        from realtime_agents.session import SESSION_EVENT_NAMES

        self.events: list[tuple[str, Any]] = []
        for name in names or tuple(SESSION_EVENT_NAMES):
            if name != "transport_event":
                session.on(name, lambda event, name=name: self.events.append((name, event)))

    def names(self, *exclude: str) -> list[str]:
        return [n for n, _ in self.events if n not in exclude]

    def of(self, name: str) -> list[Any]:
        return [e for n, e in self.events if n == name]
