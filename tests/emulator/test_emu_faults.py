"""Fault injection: the query syntax, the API, and what clients observe."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
import websockets
from emulator_helpers import Raw, openai_client, user_text

from realtime_agents_emulator import Emulator, Faults
from realtime_agents_emulator.faults import FaultPlan

TEXT = aiohttp.WSMsgType.TEXT


def test_parse_syntax() -> None:
    assert Faults.parse("drop_after:5") == Faults(drop_after_events=5)
    assert Faults.parse(["delay:20,error_after:3:rate_limit", "close_after:4:4001"]) == Faults(
        delay_ms=20.0,
        error_after_events=3,
        error_code="rate_limit",
        close_after_events=4,
        close_code=4001,
    )
    assert Faults.parse("drop_mid_response") == Faults(drop_mid_response=1)
    assert Faults.parse("reset_after:2,malformed_after:1") == Faults(
        reset_after_events=2, malformed_after_events=1
    )
    assert not Faults.parse("").active
    for bad in ("explode:1", "drop_after", "drop_after:x", "delay:1:2", "drop_after:-1"):
        with pytest.raises(ValueError):
            Faults.parse(bad)


def test_plan_order() -> None:
    plan = FaultPlan()
    plan.every_connection(Faults(delay_ms=5))
    plan.next_connection(Faults(drop_after_events=2))
    assert plan.take(["error_after:1"]) == Faults(
        delay_ms=5, drop_after_events=2, error_after_events=1
    )
    assert plan.take() == Faults(delay_ms=5)
    plan.clear()
    assert plan.take() == Faults()


async def test_drop_after_events_via_query(emu: Emulator) -> None:
    async with (
        openai_client(emu) as client,
        client.realtime.connect(
            model="gpt-realtime", extra_query={"fault": "drop_after:2"}
        ) as conn,
    ):
        await conn.recv()
        await conn.conversation.item.create(item=user_text("hi"))
        assert (await conn.recv()).type == "conversation.item.added"
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as caught:
            await asyncio.wait_for(conn.recv(), 5)
    assert caught.value.rcvd is None  # no close frame: an abnormal closure (1006)
    server = emu.connections[0]
    await server.wait_closed()
    assert server.faults == Faults(drop_after_events=2)


async def test_reset_after_events(emu: Emulator) -> None:
    async with await Raw.connect(emu, "model=gpt-realtime&fault=reset_after:1") as raw:
        await raw.recv()
        message = await raw.close_message()
    assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert raw.ws.close_code == aiohttp.WSCloseCode.ABNORMAL_CLOSURE


async def test_close_after_with_code(emu: Emulator) -> None:
    async with await Raw.connect(emu, "model=gpt-realtime&fault=close_after:1:4001") as raw:
        await raw.recv()
        message = await raw.close_message()
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 4001)
    await emu.connections[0].wait_closed()
    assert emu.connections[0].close_code == 4001


async def test_drop_mid_response(emu: Emulator) -> None:
    async with await Raw.connect(emu, "model=gpt-realtime&fault=drop_mid_response:3") as raw:
        await raw.recv()
        await raw.send({"type": "response.create"})
        received = []
        while (message := await asyncio.wait_for(raw.ws.receive(), 5)).type == TEXT:
            received.append(json.loads(message.data)["type"])
    deltas = [name for name in received if name.endswith(".delta")]
    assert len(deltas) == 3
    assert "response.done" not in received


async def test_malformed_and_error_frames(emu: Emulator) -> None:
    async with await Raw.connect(
        emu, "model=gpt-realtime&fault=malformed_after:1&fault=error_after:1:injected"
    ) as raw:
        assert (await raw.recv())["type"] == "session.created"
        error = await raw.recv()
        malformed = await asyncio.wait_for(raw.ws.receive(), 5)
        await raw.send({"type": "input_audio_buffer.clear"})
        after = await raw.recv()
    assert (error["type"], error["error"]["type"], error["error"]["code"]) == (
        "error",
        "server_error",
        "injected",
    )
    assert malformed.type == aiohttp.WSMsgType.TEXT
    with pytest.raises(ValueError):
        json.loads(malformed.data)
    assert after["type"] == "input_audio_buffer.cleared"


async def test_delay(emu: Emulator) -> None:
    started = time.monotonic()
    async with await Raw.connect(emu, "model=gpt-realtime&fault=delay:150") as raw:
        await raw.recv()
    assert time.monotonic() - started >= 0.15


async def test_faults_by_api_for_the_next_connection(emu: Emulator) -> None:
    emu.faults.next_connection(Faults(close_after_events=1, close_code=4002))
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        assert (await raw.close_message()).data == 4002
    async with await Raw.connect(emu) as raw:  # the next one is healthy
        await raw.recv()
        await raw.send({"type": "input_audio_buffer.clear"})
        assert (await raw.recv())["type"] == "input_audio_buffer.cleared"


async def test_live_connection_actions(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        conn = await emu.wait_for_connection()
        conn.send_error("custom trouble")
        assert (await raw.recv())["error"]["message"] == "custom trouble"
        conn.send_event({"type": "rate_limits.updated", "rate_limits": []})
        assert (await raw.recv())["type"] == "rate_limits.updated"
        await conn.send_malformed()
        assert (await raw.ws.receive()).data.startswith('{"type"')
        conn.inject(Faults(error_after_events=conn.events_sent + 1))
        await raw.send({"type": "input_audio_buffer.clear"})
        assert (await raw.recv())["type"] == "input_audio_buffer.cleared"
        assert (await raw.recv())["type"] == "error"
        await conn.drop()
        await raw.close_message()
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        conn = await emu.wait_for_connection()
        await conn.reset()
        await raw.close_message()
        await conn.wait_closed()


async def test_delay_is_a_constant_latency(make_emulator) -> None:
    emu = await make_emulator()
    emu.faults.every_connection(Faults(delay_ms=100))
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({"type": "response.create"})
        started = time.monotonic()
        events = await raw.recv_until("rate_limits.updated")
    # About 20 events, each 100 ms late: together still about 100 ms, not 2 s.
    assert len(events) > 10
    assert 0.1 <= time.monotonic() - started < 0.6
