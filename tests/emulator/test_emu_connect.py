"""Connection admission, authentication, addresses, pings and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import aiohttp
import pytest
from emulator_helpers import Raw, openai_client, recv_until

from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say


async def test_addresses(emu: Emulator) -> None:
    assert emu.url == f"http://127.0.0.1:{emu.port}"
    assert emu.base_url == emu.url + "/v1"
    assert emu.ws_url == f"ws://127.0.0.1:{emu.port}/v1/realtime"
    assert emu.port > 0


def test_only_loopback_hosts_are_served() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Emulator(host="0.0.0.0")
    assert Emulator(host="localhost").host == "127.0.0.1"


async def test_session_created_comes_first_with_the_full_config(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        created = await conn.recv()
    assert created.type == "session.created"
    session = emu.connections[0].server_events[0]["session"]
    assert session["object"] == "realtime.session"
    assert session["id"].startswith("sess_")
    assert session["model"] == "gpt-realtime"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 200
    assert session["audio"]["output"]["voice"] == "alloy"
    assert session["max_output_tokens"] == "inf"
    conn = emu.connections[0]
    assert conn.accepted
    assert conn.api_key == "sk-test"
    assert conn.headers["Authorization"] == "Bearer sk-test"
    assert "OpenAI-Beta" not in conn.headers
    assert conn.query == {"model": "gpt-realtime"}
    assert "sk-test" not in repr(conn)


async def test_browser_subprotocol_auth_echoes_realtime(emu: Emulator) -> None:
    protocols = ("realtime", "openai-insecure-api-key.sk-browser")
    async with await Raw.connect(emu, key=None, protocols=protocols) as raw:
        assert raw.ws.protocol == "realtime"
        assert (await raw.recv())["type"] == "session.created"
    conn = emu.connections[0]
    assert (conn.api_key, conn.protocol, conn.subprotocols) == (
        "sk-browser",
        "realtime",
        list(protocols),
    )
    assert "sk-browser" not in repr(conn)


@pytest.mark.parametrize(
    ("key", "code", "message"),
    [
        ("nope", "invalid_api_key", "Incorrect API key provided: "),
        (None, None, "Missing bearer or basic authentication in header"),
        ("ek_unknown", "invalid_api_key", "Incorrect API key provided: "),
    ],
)
async def test_bad_or_missing_key_gets_error_then_close_3000(
    emu: Emulator, key: str | None, code: str | None, message: str
) -> None:
    async with await Raw.connect(emu, key=key) as raw:
        error = await raw.recv()
        closing = await raw.close_message()
    assert error["type"] == "error"
    assert error["error"]["code"] == code
    assert error["error"]["message"].startswith(message)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 3000
    if key:
        assert key not in error["error"]["message"]  # keys are masked


async def test_configured_api_keys(make_emulator) -> None:
    emu = await make_emulator(api_keys=["sk-right", "custom-key"])
    async with await Raw.connect(emu, key="custom-key") as raw:
        assert (await raw.recv())["type"] == "session.created"
    async with await Raw.connect(emu, key="sk-wrong") as raw:
        assert (await raw.recv())["error"]["code"] == "invalid_api_key"
        assert (await raw.close_message()).data == 3000


@pytest.mark.parametrize(
    ("query", "headers", "protocols", "code"),
    [
        ("", {}, (), "missing_model"),
        ("model=whisper-1", {}, (), "invalid_model"),
        ("model=gpt-realtime", {"OpenAI-Beta": "realtime=v1"}, (), "beta_api_shape_disabled"),
        (
            "model=gpt-realtime",
            {},
            ("realtime", "openai-beta.realtime-v1"),
            "beta_api_shape_disabled",
        ),
        ("call_id=rtc_unknown", {}, (), "call_not_found"),
        ("model=gpt-realtime&fault=explode:1", {}, (), "invalid_value"),
    ],
)
async def test_request_shape_errors_close_4000(
    emu: Emulator, query: str, headers: dict[str, str], protocols: tuple[str, ...], code: str
) -> None:
    async with await Raw.connect(emu, query, headers=headers, protocols=protocols) as raw:
        error = await raw.recv()
        closing = await raw.close_message()
    assert error["error"]["code"] == code
    assert closing.data == 4000
    assert not emu.connections[0].accepted


async def test_model_allow_list(make_emulator) -> None:
    emu = await make_emulator(models=["my-model"])
    async with await Raw.connect(emu, "model=my-model") as raw:
        assert (await raw.recv())["type"] == "session.created"
    async with await Raw.connect(emu, "model=gpt-realtime") as raw:
        assert (await raw.recv())["error"]["code"] == "invalid_model"


async def test_transcription_intent_needs_no_model(emu: Emulator) -> None:
    async with await Raw.connect(emu, "intent=transcription") as raw:
        created = await raw.recv()
        await raw.send({"type": "response.create"})
        error = await raw.recv()
    assert created["session"]["type"] == "transcription"
    assert created["session"]["object"] == "realtime.transcription_session"
    assert error["type"] == "error"


async def test_pings_are_sent(make_emulator) -> None:
    emu = await make_emulator(ping_interval=0.05)
    async with await Raw.connect(emu, autoping=False) as raw:
        await raw.recv()
        message = await asyncio.wait_for(raw.ws.receive(), 2)
        assert message.type == aiohttp.WSMsgType.PING
        await raw.ws.pong(message.data)


async def test_http_endpoints(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(emu.url + "/healthz") as response:
            assert await response.json() == {"status": "ok"}
        async with http.get(emu.base_url + "/nothing") as response:
            assert response.status == 404
            body = await response.json()
            assert body["error"]["message"] == "Invalid URL (GET /v1/nothing)"
        async with http.get(emu.ws_url + "?model=gpt-realtime") as response:
            assert response.status == 400


async def test_stop_closes_connections_with_1001(make_emulator) -> None:
    emu = await make_emulator()
    raw = await Raw.connect(emu)
    try:
        await raw.recv()
        await emu.stop()
        closing = await raw.close_message()
        assert closing.data == 1001
        assert emu.connections[0].closed
        assert emu.connections[0].close_code == 1001
    finally:
        await raw.close()


async def test_wait_for_connection_hands_out_connections_in_order(emu: Emulator) -> None:
    async def connect_later() -> None:
        await asyncio.sleep(0.02)
        for _ in range(2):
            async with await Raw.connect(emu) as raw:
                await raw.recv()

    task = asyncio.create_task(connect_later())
    first = await emu.wait_for_connection(timeout=5)
    second = await emu.wait_for_connection(timeout=5)
    await task
    assert [first, second] == emu.connections
    assert await emu.wait_for_connection(index=0) is first
    with pytest.raises(TimeoutError):
        await emu.wait_for_connection(timeout=0.05)


async def test_session_close_event_closes_the_socket(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({"type": "session.close"})
        closing = await raw.close_message()
    assert closing.data == 1000


async def test_session_expiry(make_emulator) -> None:
    emu = await make_emulator(session_max_s=0.05)
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        events = await recv_until(conn, "error")
    assert events[-1].error.code == "session_expired"


async def test_stop_does_not_hang_on_a_client_that_stopped_reading(make_emulator) -> None:
    long_reply = RulesBrain([Rule(then=[Say("long", audio_ms=120_000)])])
    emu = await make_emulator(brain=long_reply)
    _reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
    try:
        writer.write(
            b"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer sk-test\r\n\r\n"
        )
        payload = json.dumps({"type": "response.create"}).encode()
        # A masked client text frame with a zero mask key (so the payload is sent as is).
        writer.write(bytes([0x81, 0x80 | len(payload)]) + bytes(4) + payload)
        await writer.drain()
        conn = await emu.wait_for_connection()
        await conn.wait_for_server_event("response.output_audio.delta")
        await asyncio.sleep(0.2)  # 120 s of audio at full speed: the socket buffers fill up
        started = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started < 5
        assert conn.closed
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_events_need_not_be_kept(make_emulator) -> None:
    emu = await make_emulator(record_events=False)
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        conn = await emu.wait_for_connection()
        waiting = asyncio.create_task(conn.wait_for_client_event("input_audio_buffer.clear"))
        await asyncio.sleep(0.01)
        await raw.send({"type": "input_audio_buffer.clear"})
        assert (await waiting)["type"] == "input_audio_buffer.clear"
        await raw.recv()
    assert (conn.client_events, conn.server_events) == ([], [])
