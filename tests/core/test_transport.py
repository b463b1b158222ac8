"""The transport base class and its helpers."""

from __future__ import annotations

import pytest

from realtime_agents.errors import UserError
from realtime_agents.events import ConnectionStatus
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.transport import ConnectOptions, RealtimeTransportLayer, resolve_api_key


async def test_api_key_may_be_a_string_function_or_coroutine_function() -> None:
    async def fetch() -> str:
        return "ek_async"

    assert await resolve_api_key("sk-1") == "sk-1"
    assert await resolve_api_key(lambda: "sk-2") == "sk-2"
    assert await resolve_api_key(fetch) == "ek_async"
    assert await resolve_api_key(None) is None


async def test_api_key_function_must_return_a_string() -> None:
    with pytest.raises(UserError, match="returned int"):
        await resolve_api_key(lambda: 42)  # type: ignore[arg-type,return-value]


def test_connect_options_repr_never_shows_the_key() -> None:
    text = repr(ConnectOptions(api_key="sk-very-secret", model="gpt-realtime"))
    assert "sk-very-secret" not in text
    assert "<hidden>" in text


def test_status_changes_are_published_once() -> None:
    transport = ScriptedRealtimeTransport()
    seen: list[ConnectionStatus] = []
    transport.on("connection_change", lambda e: seen.append(e.status))
    transport.set_status(ConnectionStatus.CONNECTING)
    transport.set_status(ConnectionStatus.CONNECTING)
    transport.set_status(ConnectionStatus.CONNECTED)
    assert seen == [ConnectionStatus.CONNECTING, ConnectionStatus.CONNECTED]


def test_contract_methods_are_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        RealtimeTransportLayer()  # type: ignore[abstract]


async def test_async_context_manager_closes() -> None:
    transport = ScriptedRealtimeTransport()
    async with transport:
        await transport.connect(ConnectOptions(api_key="k"))
    assert transport.status is ConnectionStatus.DISCONNECTED
