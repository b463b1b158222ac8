"""The ``webrtc`` entry point, the default transport, and the package's public surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

import realtime_agents_webrtc
from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.errors import UserError
from realtime_agents.plugins.manager import PluginHost, build_plugin_manager
from realtime_agents_webrtc import OpenAIRealtimeWebRTC


def test_the_installed_plugin_makes_webrtc_the_default() -> None:
    host = PluginHost(build_plugin_manager())
    assert host.transports["webrtc"] is OpenAIRealtimeWebRTC
    assert host.default_transport_name() == "webrtc"
    session = RealtimeSession(RealtimeAgent(name="a"), plugin_host=host)
    assert isinstance(session.transport, OpenAIRealtimeWebRTC)


def test_exports() -> None:
    assert sorted(realtime_agents_webrtc.__all__) == [
        "AudioDevices",
        "AudioSink",
        "DEFAULT_BASE_URL",
        "DEFAULT_ICE_SERVERS",
        "DEFAULT_MAX_MESSAGE_SIZE",
        "Microphone",
        "OpenAIRealtimeWebRTC",
        "Speaker",
    ]
    for name in realtime_agents_webrtc.__all__:
        assert getattr(realtime_agents_webrtc, name) is not None


def test_discovering_the_plugin_imports_neither_aiortc_nor_av() -> None:
    code = (
        "import sys, realtime_agents_webrtc.plugin, realtime_agents_webrtc;"
        "print(sorted(m for m in ('aiortc', 'av', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_a_websocket_url_is_refused_with_a_pointer_to_the_websocket_transport() -> None:
    transport = OpenAIRealtimeWebRTC(ice_servers=[])
    with pytest.raises(UserError, match="transport='websocket'"):
        await transport.connect(api_key="sk-x-0123456789", url="ws://127.0.0.1:1/v1/realtime")
    assert transport.status == "disconnected"


def test_defaults_use_public_stun_and_openai() -> None:
    from realtime_agents_webrtc import DEFAULT_BASE_URL, DEFAULT_ICE_SERVERS

    assert DEFAULT_BASE_URL == "https://api.openai.com/v1/realtime/calls"
    assert [s["urls"] for s in DEFAULT_ICE_SERVERS] == ["stun:stun.l.google.com:19302"]
    assert OpenAIRealtimeWebRTC().muted is False
