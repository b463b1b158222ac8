"""Bad input and dropped connections: nothing hangs, nothing leaks, the status tells the truth."""

from __future__ import annotations

import asyncio

import pytest
from websockets.asyncio.server import ServerConnection
from ws_helpers import KEY, Recorder, assert_no_tasks_left, make_transport
from ws_peers import ws_server

from realtime_agents.errors import ConnectionClosedError
from realtime_agents.events import ConnectionStatus, ErrorEvent
from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say
from realtime_agents_websocket import OpenAIRealtimeWebSocket

BACKENDS = ["sansio", "websockets"]
TEXT = {"output_modalities": ["text"]}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_malformed_frame_is_an_error_event_and_the_session_goes_on(
    emu: Emulator, backend: str
) -> None:
    transport = make_transport(emu, backend=backend)
    rec = Recorder(transport, ["error", "turn_done"])
    await transport.connect(api_key=KEY, initial_session_config=TEXT)
    await emu.connections[0].send_malformed()
    error = await rec.wait_for("error")
    assert isinstance(error, ErrorEvent)
    await transport.send_message("still there?")
    await rec.wait_for("turn_done")
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_binary_and_unknown_frames_do_not_break_the_connection(backend: str) -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send('{"type":"session.created","event_id":"e1","session":{"type":"realtime"}}')
        await ws.send(b"\x00\xff binary")
        await ws.send('{"type":"brand.new.event","event_id":"e2","extra":{"a":1}}')
        await ws.send("[1, 2]")
        await ws.send('{"type":"rate_limits.updated","event_id":"e3","rate_limits":[]}')
        await ws.wait_closed()

    async with ws_server(handler) as url:
        transport = OpenAIRealtimeWebSocket(url=url, backend=backend)
        rec = Recorder(transport, ["*", "error", "rate_limits.updated"])
        await transport.connect(api_key=KEY)
        await rec.wait_for("rate_limits.updated")
        star = [e.data for e in rec.of("*")]
        assert star[1] == {"type": "brand.new.event", "event_id": "e2", "extra": {"a": 1}}
        assert len(rec.of("error")) == 2  # the binary frame and the non-object
        assert transport.status is ConnectionStatus.CONNECTED
        await transport.close()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("fault", "abnormal"),
    [
        ("drop_after:3", True),
        ("reset_after:3", True),
        ("close_after:3:1011", True),
        ("close_after:3:1000", False),
        ("drop_mid_response:2", True),
    ],
)
async def test_server_drop_mid_turn(
    make_emulator, backend: str, fault: str, abnormal: bool
) -> None:
    brain = RulesBrain([Rule(then=[Say("a long answer", audio_ms=2000)])])
    emu = await make_emulator(brain=brain)
    transport = make_transport(emu, query=f"fault={fault}", backend=backend)
    rec = Recorder(transport, ["connection_change", "error"])
    await transport.connect(api_key=KEY)
    await transport.send_message("talk to me")
    await rec.wait_for("connection_change", lambda e: e.status == "disconnected")
    assert transport.status is ConnectionStatus.DISCONNECTED
    errors = rec.of("error")
    if abnormal:
        assert any(isinstance(e.error, ConnectionClosedError) for e in errors)
    else:
        assert errors == []
    with pytest.raises(ConnectionClosedError):
        await transport.send_message("anyone?")
    await transport.send_audio(b"\x00\x00")  # dropped silently
    await assert_no_tasks_left()
    await transport.connect(api_key=KEY)  # a new connection works
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()
    await assert_no_tasks_left()


async def test_emulator_stop_while_connected_disconnects_without_hanging(emu: Emulator) -> None:
    transport = make_transport(emu)
    rec = Recorder(transport, ["connection_change"])
    await transport.connect(api_key=KEY)
    await emu.stop()  # closes with 1001 "going away"
    await rec.wait_for("connection_change", lambda e: e.status == "disconnected")
    await asyncio.wait_for(transport.close(), 5)
    await assert_no_tasks_left()


async def test_handler_exceptions_become_error_events(emu: Emulator) -> None:
    transport = make_transport(emu)
    rec = Recorder(transport, ["error", "turn_done"])

    def broken(event: object) -> None:
        raise RuntimeError("listener bug")

    async def broken_async(event: object) -> None:
        raise RuntimeError("async listener bug")

    transport.on("turn_started", broken)
    transport.on("turn_started", broken_async)
    await transport.connect(api_key=KEY, initial_session_config=TEXT)
    await transport.send_message("hi")
    await rec.wait_for("turn_done")
    await rec.wait_for("error", lambda e: "async listener bug" in str(e.error))
    assert any("listener bug" in str(e.error) for e in rec.of("error"))
    await transport.close()
    await assert_no_tasks_left()
