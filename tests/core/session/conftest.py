"""Fixtures for session tests: a fresh plugin host, a scripted transport, a connected session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from session_helpers import make_host, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.plugins import PluginHost
from realtime_agents.session import RealtimeSession
from realtime_agents.testing import ScriptedRealtimeTransport


@pytest.fixture
def host() -> PluginHost:
    return make_host()


@pytest.fixture
def transport() -> ScriptedRealtimeTransport:
    return ScriptedRealtimeTransport()


SessionFactory = Callable[..., Awaitable[RealtimeSession[Any]]]


@pytest.fixture
async def connect_session(
    transport: ScriptedRealtimeTransport, host: PluginHost
) -> AsyncIterator[SessionFactory]:
    """``await connect_session(agent, **options)``: connected, ``connect`` call consumed."""
    sessions: list[RealtimeSession[Any]] = []

    async def factory(agent: RealtimeAgent[Any], **options: Any) -> RealtimeSession[Any]:
        options.setdefault("plugin_host", host)
        session: RealtimeSession[Any] = RealtimeSession(agent, transport=transport, **options)
        sessions.append(session)
        await session.connect(api_key="sk-test-secret")
        await transport.expect_call("connect")
        await settle(session)
        return session

    yield factory
    for session in sessions:
        await session.close()
