"""The ``websocket`` entry point and the package surface."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ws_helpers import KEY, url_of

import realtime_agents_websocket
from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.errors import TransportNotFoundError
from realtime_agents.plugins import PluginHost, build_plugin_manager
from realtime_agents_websocket import OpenAIRealtimeWebSocket


def test_installed_entry_point_registers_the_transport() -> None:
    host = PluginHost(build_plugin_manager(blocked=[]))
    assert host.transports["websocket"] is OpenAIRealtimeWebSocket
    transport = host.create_transport("websocket")
    assert isinstance(transport, OpenAIRealtimeWebSocket)
    assert transport.status == "disconnected"
    assert host.default_transport_name() in ("webrtc", "websocket")


def test_unknown_transport_names_what_is_installed() -> None:
    host = PluginHost(build_plugin_manager(blocked=[]))
    with pytest.raises(TransportNotFoundError) as info:
        host.create_transport("carrier-pigeon")
    assert "websocket" in info.value.installed
    assert "carrier-pigeon" in str(info.value)


def test_the_plugin_can_be_blocked() -> None:
    host = PluginHost(build_plugin_manager(blocked=["websocket"]))
    assert "websocket" not in host.transports


def test_public_names() -> None:
    assert realtime_agents_websocket.__all__ == [
        "DEFAULT_MAX_SIZE",
        "Backend",
        "CreateWebSocket",
        "OpenAIRealtimeWebSocket",
        "WebSocketLike",
        "WebSocketRequest",
    ]
    for name in realtime_agents_websocket.__all__:
        assert getattr(realtime_agents_websocket, name) is not None
    with pytest.raises(AttributeError):
        realtime_agents_websocket.nope  # noqa: B018


def test_importing_the_package_or_its_plugin_imports_no_websockets() -> None:
    code = (
        "import sys, realtime_agents_websocket, realtime_agents_websocket.plugin;"
        "print('websockets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_a_session_takes_the_name_or_an_instance(emu) -> None:
    agent = RealtimeAgent(name="Greeter", instructions="Be brief.")
    host = PluginHost(build_plugin_manager(blocked=[]))
    by_name = RealtimeSession(agent, transport="websocket", plugin_host=host)
    assert isinstance(by_name.transport, OpenAIRealtimeWebSocket)
    instance = OpenAIRealtimeWebSocket()
    session = RealtimeSession(agent, transport=instance, plugin_host=host)
    assert session.transport is instance
    await session.connect(api_key=KEY, url=url_of(emu))
    first = await emu.connections[0].wait_for_client_event("session.update")
    assert first["session"]["instructions"] == "Be brief."
    await session.close()
    await by_name.close()
