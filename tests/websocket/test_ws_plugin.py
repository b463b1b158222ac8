"""The ``websocket`` entry point and the package surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

import realtime_agents_websocket
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
