"""The Cloudflare transport in CPython: the upgrade request, errors at the channel's edge, binary
frames, the plugin and the package surface (the scenarios shared with Pyodide are in
``cf_cases.py``)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
from cf_cases import KEY
from cf_fetch import NEW_COMPAT, WorkerdFetch

import realtime_agents_cloudflare
from realtime_agents.driver import ChannelRequest, CloseInfo
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError, UserError
from realtime_agents.plugins import PluginHost, build_plugin_manager
from realtime_agents_cloudflare import CloudflareRealtimeTransportLayer
from realtime_agents_cloudflare._channel import FetchChannel
from realtime_agents_emulator import Emulator


@pytest.fixture
async def fetch() -> AsyncIterator[WorkerdFetch]:
    made = WorkerdFetch(NEW_COMPAT)
    yield made
    await made.aclose()


def url_of(emu: Emulator) -> str:
    return f"{emu.ws_url}?model=gpt-realtime"


async def test_the_upgrade_carries_auth_upgrade_subprotocol_and_sdk_headers(
    emu: Emulator, fetch: WorkerdFetch
) -> None:
    transport = CloudflareRealtimeTransportLayer(url=url_of(emu), fetch=fetch, api_key=KEY)
    await transport.connect()
    await transport.close()
    url, headers = fetch.requests[0]
    assert url == f"http{emu.ws_url.removeprefix('ws')}?model=gpt-realtime"  # fetch wants http(s)
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Upgrade"] == "websocket"
    assert headers["Connection"] == "Upgrade"
    assert headers["Sec-WebSocket-Protocol"] == "realtime"
    assert headers["User-Agent"].startswith("realtime-agents/")
    assert emu.connections[0].api_key == KEY  # it reached the server


async def test_subprotocol_auth_offers_realtime_first(emu: Emulator, fetch: WorkerdFetch) -> None:
    transport = CloudflareRealtimeTransportLayer(
        url=url_of(emu), fetch=fetch, api_key=KEY, auth="subprotocol", use_insecure_api_key=True
    )
    await transport.connect()
    await transport.close()
    offered = fetch.requests[0][1]["Sec-WebSocket-Protocol"].split(", ")
    assert offered[0] == "realtime"
    assert f"openai-insecure-api-key.{KEY}" in offered
    assert "Authorization" not in fetch.requests[0][1]


def test_wss_becomes_https() -> None:
    from realtime_agents_cloudflare._upgrade import http_url

    assert http_url("wss://api.openai.com/v1/realtime?model=m") == (
        "https://api.openai.com/v1/realtime?model=m"
    )
    assert http_url("ws://127.0.0.1:9/v1/realtime") == "http://127.0.0.1:9/v1/realtime"
    assert http_url("https://example.com/x") == "https://example.com/x"


async def test_a_failing_fetch_is_a_connection_failure_without_the_key() -> None:
    async def broken(url: str, init: Any) -> Any:
        raise TypeError(f"Network connection lost. (sent {init['headers']['Authorization']})")

    transport = CloudflareRealtimeTransportLayer(url="wss://x.invalid/r", fetch=broken, api_key=KEY)
    with pytest.raises(ConnectionFailedError) as info:
        await transport.connect()
    assert str(info.value).startswith("the WebSocket upgrade failed: TypeError: Network")
    assert KEY not in str(info.value)
    assert transport.status.value == "disconnected"


async def test_an_upgrade_that_never_answers_times_out() -> None:
    async def hanging(url: str, init: Any) -> Any:
        await asyncio.Event().wait()

    transport = CloudflareRealtimeTransportLayer(
        url="wss://x.invalid/r", fetch=hanging, api_key=KEY, open_timeout=0.05
    )
    with pytest.raises(ConnectionFailedError, match=r"timed out after 0\.05 s"):
        await transport.connect()


async def test_a_refusal_quoting_the_key_is_redacted(emu: Emulator) -> None:
    class Refusal:
        status = 401
        webSocket = None

        async def text(self) -> str:
            return f"Incorrect API key provided: {KEY}"

    async def refusing(url: str, init: Any) -> Refusal:
        return Refusal()

    transport = CloudflareRealtimeTransportLayer(url=url_of(emu), fetch=refusing, api_key=KEY)
    with pytest.raises(ConnectionFailedError) as info:
        await transport.connect()
    assert str(info.value).startswith("Failed to upgrade websocket: 401 Incorrect API key")
    assert KEY not in str(info.value)


async def test_binary_frames_arrive_as_bytes_at_the_new_compat_date(
    emu: Emulator, fetch: WorkerdFetch
) -> None:
    # From 2026-11-01 the default binaryType is "blob", which Python cannot read synchronously.
    frames: list[str | bytes] = []
    closes: list[CloseInfo] = []
    binary = asyncio.Event()

    def on_frame(channel: object, frame: str | bytes) -> None:
        frames.append(frame)
        if isinstance(frame, bytes):
            binary.set()

    channel = FetchChannel(fetch, on_frame, lambda c, i: closes.append(i), 5)
    request = ChannelRequest(url=url_of(emu), headers={"Authorization": f"Bearer {KEY}"})
    await channel.open(request)
    await (await emu.wait_for_connection()).send_binary(b"\x00\x01binary")
    await asyncio.wait_for(binary.wait(), 5)
    assert frames[-1] == b"\x00\x01binary"
    assert fetch.sockets[0].binaryType == "arraybuffer"
    await channel.aclose()
    assert closes == []  # a close we asked for is not reported


class ScriptedSocket:
    """A socket whose events the test fires by hand (for orders the shims never produce)."""

    def __init__(self) -> None:
        self.listeners: dict[str, list[Any]] = {}
        self.readyState = 1
        self.binaryType = "blob"
        self.accepted = asyncio.Event()

    def addEventListener(self, kind: str, callback: Any) -> None:
        self.listeners.setdefault(kind, []).append(callback)

    def removeEventListener(self, kind: str, callback: Any) -> None:
        self.listeners[kind].remove(callback)

    def accept(self) -> None:
        self.accepted.set()

    def send(self, data: str) -> None:
        pass

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.readyState = 3

    def fire(self, kind: str, **fields: Any) -> None:
        event = type("Event", (), fields)()
        for callback in list(self.listeners.get(kind, [])):
            callback(event)


async def test_an_error_event_alone_ends_the_connection_as_lost() -> None:
    # Seen in real workerd: a server's close racing the Worker's own sends can arrive as an
    # error event ("Network connection lost.") with no close event at all.
    socket = ScriptedSocket()

    class Upgraded:
        status = 101
        webSocket = socket
        headers: ClassVar[dict[str, str]] = {"sec-websocket-protocol": "realtime"}

    async def fetch(url: str, init: Any) -> Upgraded:
        return Upgraded()

    transport = CloudflareRealtimeTransportLayer(url="wss://x.invalid/r", fetch=fetch, api_key=KEY)
    errors: list[Any] = []
    transport.on("error", errors.append)
    connecting = asyncio.ensure_future(transport.connect())
    await asyncio.wait_for(socket.accepted.wait(), 5)
    created = '{"type": "session.created", "event_id": "e1", "session": {"type": "realtime"}}'
    socket.fire("message", data=created)
    await connecting
    socket.readyState = 3
    socket.fire("error", message=f"Uncaught Error: Network connection lost. ({KEY})")
    assert transport.status.value == "disconnected"
    assert [type(e.error) for e in errors] == [ConnectionClosedError]
    assert "Network connection lost." in str(errors[0].error)
    assert KEY not in str(errors[0].error)
    socket.fire("close", code=1000, reason="", wasClean=True)  # a late close changes nothing
    await asyncio.sleep(0)
    assert len(errors) == 1
    assert socket.listeners == {"message": [], "close": [], "error": []}


def test_outside_a_worker_fetch_is_required() -> None:
    with pytest.raises(UserError, match=r"needs fetch=\.\.\. outside a Cloudflare Worker"):
        CloudflareRealtimeTransportLayer(api_key=KEY)


def test_the_entry_point_registers_the_transport() -> None:
    host = PluginHost(build_plugin_manager(blocked=[]))
    assert host.transports["cloudflare"] is CloudflareRealtimeTransportLayer


def test_public_names() -> None:
    assert realtime_agents_cloudflare.__all__ == ["CloudflareRealtimeTransportLayer", "Fetch"]


def test_public_names_resolve_on_first_use() -> None:
    assert realtime_agents_cloudflare.CloudflareRealtimeTransportLayer is (
        CloudflareRealtimeTransportLayer
    )
    assert dir(realtime_agents_cloudflare) == realtime_agents_cloudflare.__all__
    with pytest.raises(AttributeError):
        realtime_agents_cloudflare.nope  # noqa: B018


def _imported_by(code: str, names: set[str]) -> list[str]:
    probe = f"import json, sys; {code}; print(json.dumps(sorted({names!r} & set(sys.modules))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    imported: list[str] = json.loads(out.stdout)
    return imported


def test_discovering_the_plugin_imports_nothing_heavy() -> None:
    # `realtime-agents --help` loads every plugin: it must stay instant.
    code = "import realtime_agents_cloudflare, realtime_agents_cloudflare.plugin"
    assert _imported_by(code, {"asyncio", "realtime_agents.driver"}) == []


def test_the_transport_imports_no_socket_library_nor_pydantic() -> None:
    code = "from realtime_agents_cloudflare import CloudflareRealtimeTransportLayer"
    assert _imported_by(code, {"websockets", "aiohttp", "pydantic"}) == []
