"""End to end: a session over the real WebSocket transport against the emulator's brain.

Covers a tool round trip, an approval, a handoff and a guardrail trip, each over loopback
with real frames, checking what the session publishes and what the server received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from session_helpers import Recorder, make_host

import realtime_agents_emulator as emulator
import realtime_agents_websocket as websocket
from realtime_agents.agent import RealtimeAgent
from realtime_agents.guardrail import GuardrailFunctionOutput, output_guardrail
from realtime_agents.items import AssistantMessageItem, FunctionCallItem, UserMessageItem
from realtime_agents.session import RealtimeSession
from realtime_agents.tools import tool

RULES = {
    "rules": [
        {"when": {"text": r"weather in (?P<city>\w+)"},
         "then": [{"call": "get_weather", "arguments": {"city": "{city}"}}]},
        {"when": {"tool": "get_weather"}, "then": "The forecast: {output}."},
        {"when": {"text": "refund"}, "then": [{"call": "refund", "arguments": {"amount": 5}}]},
        {"when": {"tool": "refund"}, "then": "Refund status: {output}."},
        {"when": {"text": "billing"}, "then": [{"call": "transfer_to_billing"}]},
        {"when": {"tool": "transfer_to_billing"}, "then": "Billing here. How can I help?"},
        {"when": {"text": "secret"}, "then": "The secret code is 1234, keep it safe."},
    ],
    "fallback": "echo",
}  # fmt: skip


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


@tool(needs_approval=True)
def refund(amount: float) -> str:
    """Refund an amount."""
    return f"refunded {amount:.2f}"


@output_guardrail(policy_hint="never reveal codes")
def no_codes(ctx: Any, agent: Any, text: str) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput("1234" in text, {"found": "1234"} if "1234" in text else None)


@pytest.fixture
async def emu() -> AsyncIterator[Any]:
    brain = emulator.RulesBrain.from_dict(RULES)
    async with emulator.Emulator(brain=brain, audio_speed=0, speech="synthetic") as server:
        yield server
        assert server.crashes == []


async def open_session(emu: Any, agent: RealtimeAgent[Any], **options: Any) -> RealtimeSession[Any]:
    session: RealtimeSession[Any] = RealtimeSession(
        agent, transport=websocket.OpenAIRealtimeWebSocket(), plugin_host=make_host(), **options
    )
    await session.connect(api_key="sk-e2e-test", url=f"{emu.ws_url}?model=gpt-realtime")
    return session


async def said(session: RealtimeSession[Any], text: str, timeout: float = 10.0) -> Any:
    """Wait for the ``agent_end`` whose output contains ``text``."""
    return await session.wait_for("agent_end", lambda e: text in e.output_text, timeout=timeout)


async def test_tool_round_trip(emu: Any) -> None:
    agent = RealtimeAgent("Assistant", "Help.", tools=[get_weather])
    session = await open_session(emu, agent)
    recorder = Recorder(session)
    ended = asyncio.ensure_future(said(session, "The forecast: sunny in Paris."))
    await session.send_message("What's the weather in Paris?")
    await ended
    await asyncio.sleep(0.05)
    names = recorder.names("audio", "history_updated", "history_added")
    assert names[:4] == ["agent_start", "agent_end", "agent_tool_start", "agent_tool_end"]
    assert "audio_start" in names
    end = recorder.of("agent_tool_end")[0]
    assert (end.tool_call.arguments, end.output) == ('{"city":"Paris"}', "sunny in Paris")
    kinds = [type(i) for i in session.history]
    assert kinds == [UserMessageItem, FunctionCallItem, AssistantMessageItem]
    call = session.history[1]
    assert isinstance(call, FunctionCallItem)
    assert (call.output, call.status) == ("sunny in Paris", "completed")
    assert all(getattr(i, "status", "completed") == "completed" for i in session.history)
    assert session.usage.total_tokens > 0
    connection = emu.connections[-1]
    output = await connection.client_events.wait_for(
        "conversation.item.create", where=lambda e: e["item"]["type"] == "function_call_output"
    )
    assert output["item"]["output"] == "sunny in Paris"
    await session.close()


async def test_an_approval(emu: Any) -> None:
    agent = RealtimeAgent("Assistant", tools=[refund])
    session = await open_session(emu, agent)
    requests: list[Any] = []

    async def approve(event: Any) -> None:
        requests.append(event)
        await session.approve(event.approval_item)

    session.on("tool_approval_requested", approve)
    ended = asyncio.ensure_future(said(session, "Refund status: refunded 5.00."))
    await session.send_message("I want a refund")
    await ended
    assert [r.approval_item.tool_name for r in requests] == ["refund"]
    await session.close()


async def test_a_rejection(emu: Any) -> None:
    session = await open_session(emu, RealtimeAgent("Assistant", tools=[refund]))

    async def reject(event: Any) -> None:
        await session.reject(event.approval_item, message="Refunds need a manager.")

    session.on("tool_approval_requested", reject)
    ended = asyncio.ensure_future(said(session, "Refund status: Refunds need a manager.."))
    await session.send_message("refund please")
    await ended
    await session.close()


async def test_a_handoff(emu: Any) -> None:
    billing = RealtimeAgent("Billing", "You handle billing.", voice="ash")
    front = RealtimeAgent("Front", "Greet.", tools=[get_weather], handoffs=[billing], voice="ash")
    session = await open_session(emu, front)
    recorder = Recorder(session, ("agent_handoff", "agent_start"))
    ended = asyncio.ensure_future(said(session, "Billing here."))
    await session.send_message("Put me through to billing")
    end = await ended
    assert end.agent is billing
    (handoff,) = recorder.of("agent_handoff")
    assert (handoff.from_agent, handoff.to_agent) == (front, billing)
    assert [e.agent.name for e in recorder.of("agent_start")] == ["Front", "Billing"]
    assert session.current_agent is billing
    connection = emu.connections[-1]
    update = await connection.client_events.wait_for(
        "session.update", where=lambda e: e["session"].get("instructions") == "You handle billing."
    )
    assert update["session"]["tools"] == []
    await session.close()


async def test_a_guardrail_trip(emu: Any) -> None:
    session = await open_session(
        emu,
        RealtimeAgent("Assistant"),
        output_guardrails=[no_codes],
        output_guardrail_settings={"debounce_text_length": 10},
    )
    tripped = asyncio.ensure_future(session.wait_for("guardrail_tripped", timeout=10))
    feedback_answered = asyncio.ensure_future(said(session, "blocked"))
    await session.send_message("Tell me the secret")
    event = await tripped
    assert event.guardrail_results[0].guardrail.name == "no_codes"
    # The model was told: the echo brain repeats the feedback message it received.
    answer = await feedback_answered
    assert "never reveal codes" in answer.output_text
    connection = emu.connections[-1]
    await connection.client_events.wait_for(
        "conversation.item.create",
        where=lambda e: "blocked" in str(e["item"].get("content")),
    )
    await session.close()
