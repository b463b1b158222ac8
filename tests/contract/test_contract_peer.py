"""The peer half of the transport contract: turns, tools, raw events, audio, drops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from contract_harness import AUDIO_EVENTS, PEER, RAW_EVENTS, TransportHarness

from realtime_agents.errors import ConnectionClosedError
from realtime_agents.events import (
    AudioEvent,
    ConnectionStatus,
    ErrorEvent,
    FunctionCallEvent,
    ServerEvent,
    TurnDoneEvent,
    TurnStartedEvent,
    Usage,
)
from realtime_agents.items import FunctionCallItem, RealtimeItem
from realtime_agents.transport import RealtimeTransportLayer
from realtime_agents_emulator import CallFunction, Fail, Rule, RulesBrain, Say

pytestmark = pytest.mark.contract(PEER)

TEXT = {"output_modalities": ["text"]}
NO_VAD = {"audio": {"input": {"turn_detection": None}}}


class Events:
    """Every event of the given names, in publication order."""

    def __init__(self, transport: RealtimeTransportLayer, *names: str) -> None:
        self.log: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        for name in names:
            transport.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(event: Any) -> None:
            self.log.append((name, event))
            self._changed.set()

        return record

    def of(self, name: str) -> list[Any]:
        return [event for n, event in self.log if n == name]

    async def wait_for(self, name: str, predicate: Callable[[Any], bool] | None = None) -> Any:
        async with asyncio.timeout(10):
            while True:
                for n, event in self.log:
                    if n == name and (predicate is None or predicate(event)):
                        return event
                self._changed.clear()
                await self._changed.wait()


async def connected(harness: TransportHarness, config: Any = None) -> RealtimeTransportLayer:
    transport = harness.new_transport()
    await transport.connect(harness.connect_options(initial_session_config=config))
    return transport


async def test_text_turn_events_and_order(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    names = ["turn_started", "item_update", "output_text_delta", "usage_update", "turn_done"]
    events = Events(transport, *names)
    await transport.connect(harness.connect_options(initial_session_config=TEXT))
    await transport.send_message("contract")
    done = await events.wait_for("turn_done")
    order = [n for n, _ in events.log]
    assert order[0] in ("item_update", "turn_started")
    assert order[-2:] == ["usage_update", "turn_done"]
    assert order.index("turn_started") < order.index("output_text_delta")
    started = events.of("turn_started")[0]
    assert isinstance(started, TurnStartedEvent)
    assert started.response_id == done.response.id
    assert isinstance(done, TurnDoneEvent)
    assert done.response.status == "completed"
    assert isinstance(events.of("usage_update")[0], Usage)
    assert all(isinstance(i, RealtimeItem) for i in events.of("item_update"))
    text = "".join(d.delta for d in events.of("output_text_delta"))
    assert "contract" in text
    assert {d.response_id for d in events.of("output_text_delta")} == {done.response.id}
    await harness.received("conversation.item.create")
    await harness.received("response.create")


async def test_initial_and_updated_session_config_reach_the_peer(harness: TransportHarness) -> None:
    await harness.start()
    transport = await connected(harness, {"instructions": "first", **TEXT})
    first = await harness.received("session.update")
    assert first["session"]["instructions"] == "first"
    await transport.update_session_config({"instructions": "second", **TEXT})
    await harness.received(
        "session.update", where=lambda e: e["session"].get("instructions") == "second"
    )


async def test_function_call_round_trip(harness: TransportHarness) -> None:
    brain = RulesBrain(
        [
            Rule(text="lookup", then=[CallFunction("lookup_order", {"id": 7})]),
            Rule(tool="lookup_order", then=[Say("Order status: {output}")]),
        ]
    )
    await harness.start(brain=brain)
    tool = {"type": "function", "name": "lookup_order", "parameters": {"type": "object"}}
    transport = harness.new_transport()
    events = Events(transport, "function_call", "item_update", "turn_done", "output_text_delta")
    await transport.connect(
        harness.connect_options(initial_session_config={**TEXT, "tools": [tool]})
    )
    await transport.send_message("please lookup my order")
    call = await events.wait_for("function_call")
    assert isinstance(call, FunctionCallEvent)
    assert (call.name, call.arguments) == ("lookup_order", '{"id":7}')
    assert call.call_id
    assert call.response_id
    await transport.send_function_call_output(call, "shipped", start_response=True)
    await events.wait_for(
        "item_update", lambda i: isinstance(i, FunctionCallItem) and i.output == "shipped"
    )
    output = await harness.received(
        "conversation.item.create", where=lambda e: e["item"]["type"] == "function_call_output"
    )
    assert output["item"] == {
        "type": "function_call_output",
        "call_id": call.call_id,
        "output": "shipped",
    }
    await events.wait_for("turn_done", lambda e: e.response.id != call.response_id)
    assert "Order status: shipped" in "".join(d.delta for d in events.of("output_text_delta"))


async def test_server_error_is_an_error_event_and_the_connection_stays(
    harness: TransportHarness,
) -> None:
    await harness.start(brain=RulesBrain([Rule(text="fail", then=[Fail("boom")])]))
    transport = harness.new_transport()
    events = Events(transport, "error", "turn_done")
    await transport.connect(harness.connect_options(initial_session_config=TEXT))
    await transport.send_message("fail please")
    error = await events.wait_for("error")
    assert isinstance(error, ErrorEvent)
    done = await events.wait_for("turn_done")
    assert done.response.status == "failed"
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.send_message("and now?")
    await events.wait_for("turn_done", lambda e: e.response.id != done.response.id)


async def test_peer_drop_disconnects_without_hanging(harness: TransportHarness) -> None:
    await harness.start()
    transport = await connected(harness)
    events = Events(transport, "connection_change", "error")
    await harness.drop()
    await events.wait_for("connection_change", lambda e: e.status == "disconnected")
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert events.of("error"), "an abnormal closure is reported as an error event"
    with pytest.raises(ConnectionClosedError):
        await transport.send_message("hello?")
    await asyncio.wait_for(transport.close(), 5)
    await transport.connect(harness.connect_options())
    assert transport.status is ConnectionStatus.CONNECTED


@pytest.mark.contract(PEER, RAW_EVENTS)
async def test_raw_events_on_star_and_by_type(harness: TransportHarness) -> None:
    await harness.start()
    transport = harness.new_transport()
    star: list[ServerEvent] = []
    typed: list[ServerEvent] = []

    def vandal(event: ServerEvent) -> None:
        star.append(event)
        event.data["response"] = None  # a * listener's copy is its own

    transport.on("*", vandal)
    transport.on("response.done", typed.append)
    await transport.connect(harness.connect_options(initial_session_config=TEXT))
    await transport.send_message("raw")
    await transport.wait_for("turn_done", timeout=10)
    kinds = [e.type for e in star]
    assert kinds[0] == "session.created"
    assert "response.created" in kinds
    assert "response.done" in kinds
    assert all(isinstance(e, ServerEvent) and e.data["type"] == e.type for e in star)
    assert isinstance(typed[0].data["response"], dict)
    await transport.send_event({"type": "input_audio_buffer.clear"})
    await harness.received("input_audio_buffer.clear")


@pytest.mark.contract(PEER, AUDIO_EVENTS)
async def test_audio_in_and_out(harness: TransportHarness) -> None:
    await harness.start(brain=RulesBrain([Rule(then=[Say("some audio", audio_ms=600)])]))
    transport = harness.new_transport()
    events = Events(transport, "audio", "audio_done", "turn_done")
    await transport.connect(harness.connect_options(initial_session_config=NO_VAD))
    await transport.send_audio(b"\x10\x00" * 4800, commit=True)
    append = await harness.received("input_audio_buffer.append")
    assert append["audio"]
    await harness.received("input_audio_buffer.commit")
    await transport.send_event({"type": "response.create"})
    done = await events.wait_for("turn_done")
    audio = events.of("audio")
    assert audio
    assert all(isinstance(a, AudioEvent) for a in audio)
    assert all(type(a.data) is bytes and a.response_id == done.response.id for a in audio)
    assert sum(len(a.data) for a in audio) == 600 * 48  # PCM16 mono 24 kHz
    assert events.of("audio_done")


@pytest.mark.contract(PEER, AUDIO_EVENTS)
async def test_interrupt_while_audio_plays(harness: TransportHarness) -> None:
    await harness.start(
        brain=RulesBrain([Rule(then=[Say("a long answer", audio_ms=5000)])]), audio_speed=1.0
    )
    transport = harness.new_transport()
    events = Events(transport, "audio", "audio_interrupted", "turn_done")
    await transport.connect(harness.connect_options(initial_session_config=NO_VAD))
    await transport.send_message("talk")
    first = await events.wait_for("audio")
    await transport.interrupt()
    interrupted = await events.wait_for("audio_interrupted")
    assert interrupted.item_id == first.item_id
    assert 0 <= interrupted.audio_end_ms <= 5000
    truncate = await harness.received("conversation.item.truncate")
    assert truncate["audio_end_ms"] == interrupted.audio_end_ms
    await events.wait_for("turn_done", lambda e: e.response.status == "cancelled")
