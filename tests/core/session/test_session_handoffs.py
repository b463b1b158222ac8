"""Handoffs: config before output, events, callbacks with input, replays, update_agent."""

from __future__ import annotations

import json
from typing import Any

import attrs
from session_helpers import Recorder, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.handoff import realtime_handoff
from realtime_agents.run_context import RunContextWrapper
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.tools import tool


@tool
def get_weather(city: str) -> str:
    return city


async def test_handoff_updates_config_before_the_output(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    billing = RealtimeAgent("Billing", "Handle billing.", voice="ash")
    front = RealtimeAgent("Front", "Greet.", tools=[get_weather], handoffs=[billing])
    agent_events: list[Any] = []
    front.on("agent_handoff", agent_events.append)
    session = await connect_session(front)
    recorder = Recorder(session, ("agent_handoff",))
    transport.emit_turn_started("resp_1")
    transport.emit_function_call("transfer_to_billing", {}, call_id="c1", response_id="resp_1")
    update = await transport.expect_call("update_session_config")
    output = await transport.expect_call("send_function_call_output")
    config = update.args["config"]
    assert config["instructions"] == "Handle billing."
    assert config["tools"] == []  # the front agent's tools are removed
    assert json.loads(output.args["output"]) == {"assistant": "Billing"}
    assert output.args["start_response"] is True
    await settle(session)
    (event,) = recorder.of("agent_handoff")
    assert (event.from_agent, event.to_agent) == (front, billing)
    assert agent_events == [event]
    assert session.current_agent is billing
    # The next response belongs to the new agent.
    starts = Recorder(session, ("agent_start",))
    transport.emit_turn_started("resp_2")
    await settle(session)
    assert starts.of("agent_start")[0].agent is billing


async def test_handoff_callbacks_receive_typed_input(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @attrs.define
    class Reason:
        topic: str

    received: list[Any] = []

    async def on_handoff(ctx: RunContextWrapper[Any], reason: Reason) -> None:
        received.append((ctx.context, reason))

    target = RealtimeAgent("Expert")
    handoff = realtime_handoff(target, on_handoff=on_handoff, input_type=Reason)
    assert handoff.input_json_schema["required"] == ["topic"]
    await connect_session(RealtimeAgent("Front", handoffs=[handoff]), context="ctx")
    transport.emit_function_call("transfer_to_expert", {"topic": "tax"}, call_id="c1")
    await transport.expect_call("update_session_config")
    await transport.expect_call("send_function_call_output")
    assert received == [("ctx", Reason("tax"))]


async def test_a_replayed_handoff_is_not_invoked_again(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    calls: list[str] = []
    target = RealtimeAgent("Target")
    handoff = realtime_handoff(target, on_handoff=lambda ctx: calls.append("handoff"))
    session = await connect_session(RealtimeAgent("Front", handoffs=[handoff]))
    for _ in range(2):
        transport.emit_function_call("transfer_to_target", {}, call_id="c1")
    await settle(session)
    assert calls == ["handoff"]
    assert [c.method for c in transport.calls[1:]] == [
        "update_session_config",
        "send_function_call_output",
    ]


async def test_a_failing_handoff_callback_keeps_the_agent(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    def refuse(ctx: Any) -> None:
        raise RuntimeError("not now")

    front = RealtimeAgent(
        "Front", handoffs=[realtime_handoff(RealtimeAgent("T"), on_handoff=refuse)]
    )
    session = await connect_session(front)
    recorder = Recorder(session, ("error",))
    transport.emit_function_call("transfer_to_t", {}, call_id="c1")
    output = await transport.expect_call("send_function_call_output")
    assert output.args["output"] == "Handoff to T failed: not now"
    await settle(session)
    assert session.current_agent is front
    assert len(recorder.of("error")) == 1


async def test_disabled_handoffs_are_unknown_tools(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    hidden = realtime_handoff(RealtimeAgent("T"), is_enabled=False)
    await connect_session(RealtimeAgent("Front", handoffs=[hidden]))
    transport.emit_function_call("transfer_to_t", {}, call_id="c1")
    assert (await transport.expect_call("send_function_call_output")).args[
        "output"
    ] == "Tool transfer_to_t not found"


async def test_update_agent_before_connect_only_switches(
    transport: ScriptedRealtimeTransport,
) -> None:
    from session_helpers import make_host

    from realtime_agents.session import RealtimeSession

    session = RealtimeSession(RealtimeAgent("A"), transport=transport, plugin_host=make_host())
    second = RealtimeAgent("B", "second")
    await session.update_agent(second)
    assert transport.calls == []
    await session.connect()
    call = await transport.expect_call("connect")
    assert call.args["initial_session_config"]["instructions"] == "second"
    assert session.initial_agent.name == "A"
    await session.close()
