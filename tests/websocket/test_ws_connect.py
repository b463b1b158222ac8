"""Connect lifecycle of OpenAIRealtimeWebSocket against the emulator (and raw peers)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from websockets.asyncio.server import ServerConnection
from ws_helpers import KEY, MODEL, Recorder, assert_no_tasks_left, make_transport, url_of
from ws_peers import raw_server, ws_server

from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError, UserError
from realtime_agents.events import ConnectionStatus
from realtime_agents.transport import ConnectOptions
from realtime_agents_emulator import Emulator
from realtime_agents_websocket import OpenAIRealtimeWebSocket, WebSocketRequest

BACKENDS = ["sansio", "websockets"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_statuses_and_initial_session_update(emu: Emulator, backend: str) -> None:
    transport = make_transport(emu, backend=backend)
    rec = Recorder(transport, ["connection_change", "session.created"])
    config = {"instructions": "Be brief.", "output_modalities": ["text"]}
    await transport.connect(api_key=KEY, initial_session_config=config)
    assert transport.status is ConnectionStatus.CONNECTED
    conn = emu.connections[0]
    first = await conn.wait_for_client_event("session.update")
    assert first["session"]["instructions"] == "Be brief."
    assert first["session"]["output_modalities"] == ["text"]
    assert first["session"]["model"] == MODEL
    # connect waited for the server's first event
    assert rec.names() == ["connection_change", "session.created", "connection_change"]
    await transport.close()
    await transport.close()  # idempotent: no further events
    statuses = [e.status for e in rec.of("connection_change")]
    assert statuses == ["connecting", "connected", "disconnecting", "disconnected"]
    await assert_no_tasks_left()


async def test_connect_options_object_and_keywords_are_equivalent(emu: Emulator) -> None:
    transport = OpenAIRealtimeWebSocket()
    await transport.connect(ConnectOptions(api_key=KEY, url=url_of(emu), model=MODEL))
    assert transport.url == url_of(emu)  # a connect url becomes the new default
    await transport.close()
    await transport.connect(api_key=KEY)  # reuses it
    assert len(emu.connections) == 2
    await transport.close()


@pytest.mark.parametrize(
    "key",
    [KEY, lambda: KEY, "async"],
    ids=["str", "callable", "async-callable"],
)
async def test_api_key_forms(make_emulator, key) -> None:
    emu = await make_emulator(api_keys=[KEY])

    async def async_key() -> str:
        await asyncio.sleep(0)
        return KEY

    transport = make_transport(emu)
    await transport.connect(api_key=async_key if key == "async" else key)
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()


async def test_constructor_key_and_environment_key(make_emulator, monkeypatch) -> None:
    emu = await make_emulator(api_keys=[KEY])
    transport = make_transport(emu, api_key=KEY)
    await transport.connect()
    await transport.close()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    transport = make_transport(emu)
    await transport.connect()
    await transport.close()


async def test_missing_key_is_a_user_error(emu: Emulator) -> None:
    transport = make_transport(emu)
    with pytest.raises(UserError, match="API key is required"):
        await transport.connect()
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert emu.connections == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_bad_key_raises_with_close_3000_and_is_retryable(make_emulator, backend) -> None:
    emu = await make_emulator(api_keys=[KEY])
    transport = make_transport(emu, backend=backend)
    rec = Recorder(transport, ["connection_change", "error"])
    bad = "sk-wrong-key-abcdefghijklmnop"
    with pytest.raises(ConnectionFailedError) as info:
        await transport.connect(api_key=bad)
    assert info.value.code == 3000
    assert "invalid_api_key" in str(info.value)
    assert bad not in str(info.value)
    assert bad not in repr(info.value)
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert [e.status for e in rec.of("connection_change")] == ["connecting", "disconnected"]
    assert len(rec.of("error")) == 1  # the server's error event was published too
    await transport.connect(api_key=KEY)  # retryable
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()
    await assert_no_tasks_left()


async def test_bad_model_raises_with_close_4000_and_keeps_previous_model(emu: Emulator) -> None:
    transport = OpenAIRealtimeWebSocket(model=MODEL)
    with pytest.raises(ConnectionFailedError, match="invalid_model") as info:
        await transport.connect(api_key=KEY, url=f"{emu.ws_url}?model=nope", model="nope")
    assert info.value.code == 4000
    assert transport.model == MODEL  # a failed attempt changes nothing
    assert transport.url is None


async def test_concurrent_connect_is_rejected(emu: Emulator) -> None:
    transport = make_transport(emu)
    first = asyncio.create_task(transport.connect(api_key=KEY))
    await asyncio.sleep(0)
    with pytest.raises(UserError, match="already connecting"):
        await transport.connect(api_key=KEY)
    await first
    with pytest.raises(UserError, match="already connected"):
        await transport.connect(api_key=KEY)
    await transport.close()
    assert len(emu.connections) == 1


async def test_close_while_resolving_the_key_rejects_connect(emu: Emulator) -> None:
    release = asyncio.Event()

    async def slow_key() -> str:
        await release.wait()
        return KEY

    transport = make_transport(emu)
    connecting = asyncio.create_task(transport.connect(api_key=slow_key))
    await asyncio.sleep(0.01)
    await transport.close()
    with pytest.raises(ConnectionClosedError, match="before the connection was ready"):
        await connecting
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert emu.connections == []
    await transport.connect(api_key=KEY)  # still usable
    await transport.close()
    await assert_no_tasks_left()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_close_during_the_handshake_rejects_connect(backend: str) -> None:
    async with raw_server() as (url, peers):
        transport = OpenAIRealtimeWebSocket(url=url, backend=backend)
        connecting = asyncio.create_task(transport.connect(api_key=KEY))
        await asyncio.wait_for(peers.get(), 5)  # the peer never answers the upgrade
        await transport.close()
        with pytest.raises(ConnectionClosedError):
            await connecting
        assert transport.status is ConnectionStatus.DISCONNECTED
    await assert_no_tasks_left()


async def test_caller_cancellation_of_connect_propagates(emu: Emulator) -> None:
    transport = make_transport(emu)
    release = asyncio.Event()

    async def slow_key() -> str:
        await release.wait()
        return KEY

    connecting = asyncio.create_task(transport.connect(api_key=slow_key))
    await asyncio.sleep(0.01)
    connecting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await connecting
    assert transport.status is ConnectionStatus.DISCONNECTED
    await transport.close()


async def test_ready_timeout_when_the_server_stays_silent(caplog) -> None:
    async with raw_server() as (url, peers):
        transport = OpenAIRealtimeWebSocket(url=url, ready_timeout=0.1, close_timeout=0.1)
        connecting = asyncio.create_task(transport.connect(api_key=KEY))
        peer = await asyncio.wait_for(peers.get(), 5)
        await peer.accept()
        with caplog.at_level(logging.WARNING, "realtime_agents_websocket"):
            await asyncio.wait_for(connecting, 5)
        assert transport.status is ConnectionStatus.CONNECTED
        assert "no event from the server" in caplog.text
        await transport.close()


async def test_no_ready_wait_returns_after_the_handshake() -> None:
    async with raw_server() as (url, peers):
        transport = OpenAIRealtimeWebSocket(url=url, ready_timeout=None, close_timeout=0.1)
        connecting = asyncio.create_task(transport.connect(api_key=KEY))
        peer = await asyncio.wait_for(peers.get(), 5)
        await peer.accept()
        await asyncio.wait_for(connecting, 5)
        assert transport.status is ConnectionStatus.CONNECTED
        data = await asyncio.wait_for(peer.reader.read(4096), 5)
        assert data  # the initial session.update went out
        await transport.close()


async def test_unreachable_server_fails_cleanly_and_is_retryable(emu: Emulator) -> None:
    async with raw_server() as (url, _):
        pass  # nothing listens there any more
    transport = OpenAIRealtimeWebSocket(url=url)
    with pytest.raises(ConnectionFailedError, match="could not connect"):
        await transport.connect(api_key=KEY)
    assert transport.status is ConnectionStatus.DISCONNECTED
    await transport.connect(api_key=KEY, url=url_of(emu))
    await transport.close()


async def test_handshake_headers() -> None:
    seen: dict[str, str] = {}

    async def handler(ws: ServerConnection) -> None:
        seen.update(ws.request.headers.raw_items())
        await ws.send('{"type":"session.created","event_id":"e","session":{"type":"realtime"}}')
        await ws.wait_closed()

    async with ws_server(handler) as url:
        transport = OpenAIRealtimeWebSocket(url=url)
        await transport.connect(api_key=KEY)
        await transport.close()
        assert seen["Authorization"] == f"Bearer {KEY}"
        assert seen["User-Agent"].startswith("realtime-agents/")
        assert seen["X-OpenAI-Agents-SDK"].startswith("realtime-agents.")
        assert "OpenAI-Beta" not in seen
        seen.clear()
        azure = OpenAIRealtimeWebSocket(url=url, headers={"api-key": "azure-secret"})
        await azure.connect()  # no api_key needed: the api-key header authenticates
        await azure.close()
        assert seen["api-key"] == "azure-secret"
        assert "Authorization" not in seen


async def test_subprotocol_auth_requires_ephemeral_key_unless_insecure(emu: Emulator) -> None:
    transport = make_transport(emu, auth="subprotocol")
    with pytest.raises(UserError, match="ephemeral"):
        await transport.connect(api_key=KEY)
    assert emu.connections == []
    secret = emu.mint_client_secret({"type": "realtime", "model": MODEL})
    await transport.connect(api_key=secret.value)
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()
    insecure = make_transport(emu, auth="subprotocol", use_insecure_api_key=True)
    await insecure.connect(api_key=KEY)
    await insecure.close()


async def test_url_precedence(emu: Emulator) -> None:
    requests: list[WebSocketRequest] = []

    def record(request: WebSocketRequest):
        requests.append(request)
        raise OSError("not opening anything in this test")

    transport = OpenAIRealtimeWebSocket(model="m1", create_websocket=record)
    for options in (
        {},
        {"model": "m2"},
        {"call_id": "rtc_123"},
        {"call_id": "rtc_123", "url": "ws://127.0.0.1:9/x"},
    ):
        with pytest.raises(ConnectionFailedError):
            await transport.connect(api_key=KEY, **options)
    with_default = OpenAIRealtimeWebSocket(url="ws://127.0.0.1:9/ctor", create_websocket=record)
    with pytest.raises(ConnectionFailedError):
        await with_default.connect(api_key=KEY, call_id="rtc_9")
    with pytest.raises(ConnectionFailedError):
        await with_default.connect(api_key=KEY)
    assert [r.url for r in requests] == [
        "wss://api.openai.com/v1/realtime?model=m1",
        "wss://api.openai.com/v1/realtime?model=m2",
        "wss://api.openai.com/v1/realtime?call_id=rtc_123",
        "ws://127.0.0.1:9/x?call_id=rtc_123",  # a call is attached at the address given
        "ws://127.0.0.1:9/ctor?call_id=rtc_9",  # ... and at the transport's own address
        "ws://127.0.0.1:9/ctor?model=gpt-realtime",  # a URL naming no model gets one
    ]
    assert requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(requests[0])


async def test_create_websocket_factory_is_used(emu: Emulator) -> None:
    from websockets.asyncio.client import connect

    opened: list[str] = []

    async def factory(request: WebSocketRequest):
        opened.append(request.url)
        return await connect(request.url, additional_headers=dict(request.headers))

    transport = make_transport(emu, create_websocket=factory)
    await transport.connect(api_key=KEY)
    await transport.send_message("hi")
    await emu.connections[0].wait_for_client_event("conversation.item.create")
    await transport.close()
    assert opened == [url_of(emu)]
    await assert_no_tasks_left()


async def test_events_from_a_replaced_socket_are_ignored(emu: Emulator) -> None:
    transport = make_transport(emu)
    rec = Recorder(transport, ["*"])
    await transport.connect(api_key=KEY)
    old = transport._channel
    await transport.close()
    await transport.connect(api_key=KEY)
    before = len(rec.events)
    transport._on_frame(old, '{"type":"rate_limits.updated","event_id":"x","rate_limits":[]}')
    assert len(rec.events) == before
    await transport.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_key_never_in_logs_reprs_or_errors(make_emulator, caplog, backend: str) -> None:
    emu = await make_emulator(api_keys=[KEY])
    secret = "sk-super-secret-never-print-me-0123456789"
    caplog.set_level(logging.DEBUG)
    transport = make_transport(emu, api_key=secret, backend=backend)
    with pytest.raises(ConnectionFailedError) as info:
        await transport.connect()
    await transport.connect(api_key=KEY)
    await transport.send_message("hi")
    await transport.close()
    request = WebSocketRequest(
        url="ws://x", headers={"Authorization": f"Bearer {secret}"}, api_key=secret
    )
    texts = [caplog.text, repr(transport), str(info.value), repr(info.value)]
    texts += [repr(ConnectOptions(api_key=secret)), repr(request)]
    for text in texts:
        assert secret not in text
        assert KEY not in text
    assert "Authorization" in caplog.text  # websockets' DEBUG handshake log, redacted
