"""Session event names: checked when subscribing, typed for mypy, one payload class per name."""

from __future__ import annotations

import re
import textwrap
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest
from mypy import api as mypy_api
from session_helpers import make_host, settle

import realtime_agents.session as session_package
from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import UserError
from realtime_agents.events import RealtimeTransportEventTypes
from realtime_agents.session import (
    SESSION_EVENT_NAMES,
    RealtimeSession,
    RealtimeSessionEvent,
)
from realtime_agents.session import events as session_events
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.tools import tool


def _refusal(subscribe: typing.Callable[[], object]) -> str:
    with pytest.raises(UserError) as info:
        subscribe()
    return str(info.value)


def _session() -> RealtimeSession[Any]:
    transport = ScriptedRealtimeTransport()
    return RealtimeSession(RealtimeAgent("a"), transport=transport, plugin_host=make_host())


# -- checked names ----------------------------------------------------------------------------


def test_openai_agents_python_tool_start_is_refused_with_our_name() -> None:
    """``on("tool_start")`` used to subscribe to an event nobody publishes, silently."""
    message = _refusal(lambda: _session().on("tool_start", print))
    assert message == (
        "RealtimeSession has no event 'tool_start'; did you mean 'agent_tool_start'?"
        " The events of RealtimeSession are listed in docs/session-events.md"
        " (and realtime_agents.session.SESSION_EVENT_NAMES)."
    )


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("handoff", "agent_handoff"),
        ("tool_end", "agent_tool_end"),
        ("tool_approval_required", "tool_approval_requested"),
        ("audio_end", "audio_stopped"),
        ("raw_model_event", "transport_event"),
    ],
)
def test_every_openai_agents_python_name_leads_to_ours(theirs: str, ours: str) -> None:
    assert f"did you mean {ours!r}?" in _refusal(lambda: _session().on(theirs, print))


def test_a_transport_event_on_the_session_says_where_it_is_published() -> None:
    message = _refusal(lambda: _session().on("turn_done", print))
    assert "'turn_done' is published by the transport: session.transport.on('turn_done'" in message


def test_once_off_and_wait_for_check_the_name_too() -> None:
    session = _session()
    assert "no event 'tool_end'" in _refusal(lambda: session.once("tool_end", print))
    assert "no event 'tool_end'" in _refusal(lambda: session.off("tool_end"))


async def test_wait_for_checks_the_name_too() -> None:
    with pytest.raises(UserError, match="no event 'handoff'; did you mean 'agent_handoff'"):
        await _session().wait_for("handoff", timeout=1)


def test_every_session_event_name_subscribes() -> None:
    session = _session()
    for name in SESSION_EVENT_NAMES:
        session.on(name, print)
        session.off(name, print)


def test_an_agent_accepts_the_events_a_session_publishes_on_it() -> None:
    agent = RealtimeAgent("a")
    for name in RealtimeAgent.event_names:
        agent.on(name, print)
        assert name in SESSION_EVENT_NAMES
    assert "did you mean 'agent_tool_start'?" in _refusal(lambda: agent.on("tool_start", print))


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


async def test_session_and_agent_publish_only_names_they_list() -> None:
    """Every name a turn publishes (audio, a tool call, history) is one users may subscribe to."""
    published: list[tuple[str, str]] = []

    class Session(RealtimeSession[Any]):
        def emit(self, name: str, event: Any = None) -> None:
            published.append(("session", name))
            super().emit(name, event)

    class Agent(RealtimeAgent[Any]):
        def emit(self, name: str, event: Any = None) -> None:
            published.append(("agent", name))
            super().emit(name, event)

    transport = ScriptedRealtimeTransport()
    session = Session(Agent("a", tools=[get_weather]), transport=transport, plugin_host=make_host())
    await session.connect(api_key="sk-test")
    await transport.expect_call("connect")
    rid = transport.emit_turn_started()
    transport.emit_audio(b"\x00\x00", response_id=rid)
    transport.emit_function_call("get_weather", {"city": "Oslo"}, call_id="c1", response_id=rid)
    await transport.expect_call("send_function_call_output")
    transport.emit_turn_done(response_id=rid)
    await settle(session)
    await session.close()
    names = {"session": RealtimeSession.event_names, "agent": RealtimeAgent.event_names}
    assert [(who, name) for who, name in published if name not in names[who]] == []
    assert {name for _, name in published} >= {
        "agent_start", "audio_start", "audio", "agent_tool_start", "agent_tool_end",
        "history_added", "history_updated", "audio_stopped", "agent_end",
    }  # fmt: skip


# -- one payload class per name, one typed union ------------------------------------------------


def test_the_union_holds_exactly_the_payload_classes() -> None:
    assert set(typing.get_args(RealtimeSessionEvent)) == set(SESSION_EVENT_NAMES.values())
    assert session_package.RealtimeSessionEvent is RealtimeSessionEvent


def test_each_payload_type_field_is_its_event_name() -> None:
    for name, payload in SESSION_EVENT_NAMES.items():
        assert attrs.fields_dict(payload)["type"].default == name


def test_the_checked_names_are_the_payload_table() -> None:
    assert set(RealtimeSession.event_names) == set(SESSION_EVENT_NAMES)
    assert typing.get_args(session_events.SessionEventName) == tuple(SESSION_EVENT_NAMES)


def test_typing_has_one_overload_per_name_with_its_payload() -> None:
    typed = {}
    for overload in typing.get_overloads(session_events.SessionSubscribe.__call__):
        hints = typing.get_type_hints(overload, vars(session_events))
        names = typing.get_args(hints["name"])
        if hints["handler"] is type(None):  # the decorator form: every name, no payload
            assert names == tuple(SESSION_EVENT_NAMES)
            continue
        (name,) = names
        typed[name] = typing.get_args(hints["handler"])[0][0]
    assert typed == SESSION_EVENT_NAMES
    assert list(typed) == list(SESSION_EVENT_NAMES)  # same order, easy to compare by eye


def test_three_session_events_reuse_the_transport_payloads() -> None:
    shared = set(SESSION_EVENT_NAMES) & set(RealtimeTransportEventTypes)
    assert shared == {"audio", "audio_interrupted", "error", "mcp_tool_call_completed"}
    reused = {n for n in shared if SESSION_EVENT_NAMES[n] is RealtimeTransportEventTypes[n]}
    assert reused == {"audio", "audio_interrupted", "error"}


# -- mypy sees it -----------------------------------------------------------------------------

SNIPPET = """
from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.events import AudioEvent, ServerEvent
from realtime_agents.session import AgentEndEvent, AgentToolStartEvent, RealtimeSessionEvent
from realtime_agents.testing import ScriptedRealtimeTransport

session: RealtimeSession[None] = RealtimeSession(
    RealtimeAgent("a"), transport=ScriptedRealtimeTransport()
)

def on_tool(event: AgentToolStartEvent) -> None: ...
async def on_audio(event: AudioEvent) -> None: ...
def on_anything(event: RealtimeSessionEvent) -> None: ...
def on_raw(event: ServerEvent) -> None: ...

reveal_type(session.on("agent_tool_start", on_tool))
session.on("audio", on_audio)
session.on("history_added", on_anything)
session.once("agent_end", lambda event: print(event.output_text))
session.on("agent_tool_start", lambda event: print(event.tool.name, event.arguments))
session.off("audio", on_audio)

@session.on("agent_end")
def ended(event: AgentEndEvent) -> None: ...

async def wait() -> None:
    await session.wait_for("agent_end", timeout=1)

session.transport.on("turn_done", lambda event: print(event.response.id))
session.transport.on("*", on_raw)
session.transport.on("response.done", on_raw)  # OpenAI transports publish server events too

session.on("tool_start", on_tool)  # E
session.on("audio", on_tool)  # E
session.on("agent_tool_start", lambda event: event.data)  # E
session.once("turn_done", print)  # E
session.off("nope")  # E

async def wait_badly() -> None:
    await session.wait_for("tool_end")  # E

untyped_agent = RealtimeAgent(name="b", instructions="no annotation needed")  # context: Any

async def read() -> None:
    async for event in RealtimeSession(untyped_agent):  # narrowed by its type
        if event.type == "agent_end":
            print(event.agent.name, event.output_text)
        elif event.type == "audio":
            print(len(event.data))
        elif event.type == "history_updated":
            print(event.output_text)  # E
"""


def test_mypy_types_handlers_by_event_name(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET))
    options = ["--strict", "--config-file=", "--follow-imports=silent", "--no-error-summary"]
    out, err, _ = mypy_api.run([str(snippet), *options, "--cache-dir", str(tmp_path / "cache")])
    assert err == ""
    lines = textwrap.dedent(SNIPPET).splitlines()
    expected = {n for n, line in enumerate(lines, 1) if line.endswith("# E")}
    errors = {int(n) for n in re.findall(r"^.*snippet\.py:(\d+): error:", out, re.M)}
    assert errors == expected, out
    reveal = lines.index('reveal_type(session.on("agent_tool_start", on_tool))') + 1
    # the class lives in a module built on first use (session/_tool_events.py)
    assert (
        f"snippet.py:{reveal}: note: Revealed type is"
        ' "def (realtime_agents.session._tool_events.AgentToolStartEvent)"'
    ) in out
