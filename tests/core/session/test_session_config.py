"""RealtimeAgent, handoff and guardrail objects, and the session config computed from them."""

from __future__ import annotations

from typing import Any

import pytest
from session_helpers import make_host, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import UserError
from realtime_agents.guardrail import (
    GuardrailFunctionOutput,
    OutputGuardrailSettings,
    feedback_message,
    output_guardrail,
)
from realtime_agents.handoff import realtime_handoff
from realtime_agents.plugins import hookimpl
from realtime_agents.run_context import RunContextWrapper
from realtime_agents.session import RealtimeSession
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.tools import tool


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


@tool
def get_time() -> str:
    return "noon"


def names(config: dict[str, Any]) -> list[str]:
    return [t["name"] for t in config["tools"]]


# -- agents and handoffs ---------------------------------------------------------------------


def test_agent_defaults_and_repr() -> None:
    agent = RealtimeAgent("Greeter")
    assert (agent.instructions, agent.tools, agent.handoffs, agent.voice) == (None, [], [], None)
    assert repr(agent) == "RealtimeAgent(name='Greeter')"


def test_agent_rejects_bad_names_tools_and_duplicates() -> None:
    with pytest.raises(UserError, match="non-empty name"):
        RealtimeAgent(" ")
    with pytest.raises(UserError, match="is not a tool"):
        RealtimeAgent("a", tools=[lambda: None])  # type: ignore[list-item]
    with pytest.raises(UserError, match="two tools or handoffs named 'get_weather'"):
        RealtimeAgent("a", tools=[get_weather, get_weather])
    billing = RealtimeAgent("Billing")
    clash = tool(name="transfer_to_billing")(get_time.function)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="transfer_to_billing"):
        RealtimeAgent("a", tools=[clash], handoffs=[billing])


def test_handoff_tool_names_and_descriptions() -> None:
    target = RealtimeAgent("Math Tutor!", handoff_description="Helps with math")
    (handoff,) = RealtimeAgent("a", handoffs=[target]).get_handoffs()
    assert handoff.tool_name == "transfer_to_math_tutor"
    assert handoff.definition()["description"] == (
        "Handoff to the Math Tutor! agent to handle the request. Helps with math"
    )
    custom = realtime_handoff(target, tool_name_override="escalate", tool_description_override="x")
    assert (custom.tool_name, custom.tool_description) == ("escalate", "x")


async def test_instructions_and_prompt_may_be_functions() -> None:
    async def instructions(ctx: RunContextWrapper[Any], agent: RealtimeAgent[Any]) -> str:
        return f"Help {ctx.context['user']} as {agent.name}."

    agent = RealtimeAgent(
        "Helper", instructions, prompt=lambda ctx, agent: {"id": "pmpt_1", "variables": {}}
    )
    ctx = RunContextWrapper({"user": "Ada"})
    assert await agent.get_system_prompt(ctx) == "Help Ada as Helper."
    assert await agent.get_prompt(ctx) == {"id": "pmpt_1", "variables": {}}
    clone = agent.clone(name="Other", voice="ash")
    assert (clone.name, clone.voice, clone.instructions) == ("Other", "ash", instructions)
    with pytest.raises(UserError, match="no setting"):
        agent.clone(model="x")


async def test_guardrail_objects() -> None:
    @output_guardrail(policy_hint="no numbers")
    def no_digits(ctx: Any, agent: Any, text: str) -> bool:
        return any(c.isdigit() for c in text)

    result = await no_digits.run(RunContextWrapper(None), None, "call 911")
    assert (no_digits.name, no_digits.hint, result.tripwire_triggered) == (
        "no_digits",
        "no numbers",
        True,
    )
    message = feedback_message([result])
    assert "blocked" in message
    assert "no numbers" in message
    info = GuardrailFunctionOutput(True, {"digits": 3})
    assert OutputGuardrailSettings.coerce({"debounce_text_length": -1}).debounce_text_length == -1
    with pytest.raises(UserError):
        OutputGuardrailSettings(debounce_text_length=0)
    with pytest.raises(UserError, match="unknown"):
        OutputGuardrailSettings.coerce({"debounce": 3})
    assert info.output_info == {"digits": 3}


# -- the config sent at connect, on update_agent and on handoffs ------------------------------


async def connected(
    agent: RealtimeAgent[Any], **options: Any
) -> tuple[RealtimeSession[Any], ScriptedRealtimeTransport, dict[str, Any]]:
    transport = ScriptedRealtimeTransport()
    session = RealtimeSession(agent, transport=transport, plugin_host=make_host(), **options)
    await session.connect(api_key="sk-x")
    call = await transport.expect_call("connect")
    return session, transport, dict(call.args["initial_session_config"])


async def test_initial_config_has_agent_instructions_voice_tools_and_handoffs() -> None:
    billing = RealtimeAgent("Billing")
    agent = RealtimeAgent(
        "Greeter", "Greet.", tools=[get_weather], handoffs=[billing], voice="marin"
    )
    session, transport, config = await connected(agent, model="gpt-realtime")
    assert config["instructions"] == "Greet."
    assert config["voice"] == "marin"
    assert config["model"] == "gpt-realtime"
    assert config["tracing"] == "auto"
    assert names(config) == ["get_weather", "transfer_to_billing"]
    assert transport.calls[0].args["model"] == "gpt-realtime"
    await session.close()


@pytest.mark.parametrize(
    ("config", "voice"),
    [
        ({"audio": {"output": {"voice": "cedar"}}, "voice": "ash"}, "cedar"),
        ({"voice": "ash"}, "ash"),
        ({}, "marin"),
    ],
)
async def test_voice_precedence(config: dict[str, Any], voice: str) -> None:
    session, _, sent = await connected(RealtimeAgent("a", voice="marin"), config=config)
    assert sent["voice"] == voice
    await session.close()


async def test_get_initial_session_config_overrides_win() -> None:
    session = RealtimeSession(
        RealtimeAgent("a", voice="marin"),
        transport=ScriptedRealtimeTransport(),
        plugin_host=make_host(),
        config={"voice": "ash"},
    )
    config = await session.get_initial_session_config({"audio": {"output": {"voice": "verse"}}})
    assert config["voice"] == "verse"
    assert config["audio"]["output"]["voice"] == "verse"


async def test_update_agent_keeps_audio_formats_and_replaces_tools() -> None:
    formats = {
        "input": {"format": {"type": "audio/pcmu"}},
        "output": {"format": {"type": "audio/pcmu"}},
    }
    first = RealtimeAgent("First", "one", tools=[get_weather])
    session, transport, _config = await connected(first, config={"audio": formats})
    second = RealtimeAgent("Second", "two", tools=[get_time])
    await session.update_agent(second)
    update = (await transport.expect_call("update_session_config")).args["config"]
    assert update["audio"] == formats
    assert update["instructions"] == "two"
    assert names(update) == ["get_time"]
    assert session.current_agent is second
    await session.close()


async def test_agent_without_tools_sends_an_empty_tool_list() -> None:
    bare = RealtimeAgent("Bare")
    session, transport, _ = await connected(RealtimeAgent("Tooled", tools=[get_weather]))
    await session.update_agent(bare)
    update = (await transport.expect_call("update_session_config")).args["config"]
    assert update["tools"] == []
    assert update["instructions"] == ""
    await session.close()


async def test_disabled_tools_are_not_offered() -> None:
    hidden = tool(is_enabled=lambda ctx, agent: ctx.context == "admin")(get_time.function)  # type: ignore[arg-type]
    session, _, config = await connected(RealtimeAgent("a", tools=[hidden]), context="guest")
    assert config["tools"] == []
    await session.close()
    session, _, config = await connected(RealtimeAgent("a", tools=[hidden]), context="admin")
    assert names(config) == ["get_time"]
    await session.close()


@pytest.mark.parametrize(
    ("options", "tracing"),
    [
        ({"tracing_disabled": True}, None),
        (
            {"workflow_name": "calls", "group_id": "g1", "trace_metadata": {"a": 1}},
            {"workflow_name": "calls", "group_id": "g1", "metadata": {"a": 1}},
        ),
        ({"config": {"tracing": {"workflow_name": "mine"}}}, {"workflow_name": "mine"}),
        ({}, "auto"),
    ],
)
async def test_tracing_options(options: dict[str, Any], tracing: Any) -> None:
    session, _, config = await connected(RealtimeAgent("a"), **options)
    assert config["tracing"] == tracing
    await session.close()


async def test_hosted_tools_are_passed_through() -> None:
    mcp = {"type": "mcp", "server_label": "docs", "server_url": "https://example.test/mcp"}
    session, _, config = await connected(RealtimeAgent("a", tools=[mcp]))
    assert config["tools"] == [mcp]
    await session.close()


async def test_voice_is_pinned_once_the_assistant_has_spoken(
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = RealtimeAgent("Other", voice="ash")
    session, transport, _ = await connected(RealtimeAgent("a", voice="marin"))
    transport.emit_turn_started("resp_1")
    transport.emit_audio(b"\x00\x00", response_id="resp_1")
    await settle(session)
    await session.update_agent(other)
    update = (await transport.expect_call("update_session_config")).args["config"]
    assert update["voice"] == "marin"
    assert "keeping it" in caplog.text
    await session.close()


class ToolPlugin:
    @hookimpl
    def realtime_agents_register_tools(self, register: Any) -> None:
        register(get_time)


async def test_plugin_tools_are_used_by_name() -> None:
    transport = ScriptedRealtimeTransport()
    session = RealtimeSession(
        RealtimeAgent("a", tools=["get_time"]),
        transport=transport,
        plugin_host=make_host(ToolPlugin()),
    )
    await session.connect()
    call = await transport.expect_call("connect")
    assert names(call.args["initial_session_config"]) == ["get_time"]
    await session.close()


def test_unknown_plugin_tool_and_duplicates_are_rejected_before_connect() -> None:
    with pytest.raises(UserError, match="no plugin registers a tool named 'nope'"):
        RealtimeSession(
            RealtimeAgent("a", tools=["nope"]),
            transport=ScriptedRealtimeTransport(),
            plugin_host=make_host(),
        )
    with pytest.raises(UserError, match="two tools or handoffs named 'get_time'"):
        RealtimeSession(
            RealtimeAgent("a", tools=[get_time, "get_time"]),
            transport=ScriptedRealtimeTransport(),
            plugin_host=make_host(ToolPlugin()),
        )


async def test_duplicates_in_a_handoff_target_are_rejected_at_connect() -> None:
    target = RealtimeAgent("Target")
    session = RealtimeSession(
        RealtimeAgent("a", handoffs=[target]),
        transport=ScriptedRealtimeTransport(),
        plugin_host=make_host(),
    )
    target.tools.extend([get_time, get_time])
    with pytest.raises(UserError, match="Target"):
        await session.connect()


async def test_initial_session_payload_for_a_sip_accept() -> None:
    billing = RealtimeAgent("Billing")
    agent = RealtimeAgent("Front", "Answer calls.", tools=[get_weather], handoffs=[billing])
    session = RealtimeSession(
        agent,
        transport=ScriptedRealtimeTransport(),
        plugin_host=make_host(),
        model="gpt-realtime",
        config={"audio": {"input": {"format": {"type": "audio/pcmu"}}}},
    )
    payload = await session.get_initial_session_payload({"voice": "cedar"})
    assert payload["type"] == "realtime"
    assert payload["model"] == "gpt-realtime"
    assert payload["instructions"] == "Answer calls."
    assert payload["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert payload["audio"]["output"]["voice"] == "cedar"
    assert [t["name"] for t in payload["tools"]] == ["get_weather", "transfer_to_billing"]
