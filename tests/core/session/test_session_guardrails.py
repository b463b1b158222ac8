"""Output guardrails in a session: debounce, final run, trips, stale results, plugins."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from session_helpers import Recorder, make_host, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.events import OutputTextDeltaEvent
from realtime_agents.guardrail import GuardrailFunctionOutput, output_guardrail
from realtime_agents.items import AssistantMessageItem, OutputAudio, OutputText
from realtime_agents.plugins import hookimpl
from realtime_agents.session import RealtimeSession
from realtime_agents.testing import ScriptedRealtimeTransport


class Checks:
    """A guardrail that trips on a word and records the texts it was shown."""

    def __init__(self, word: str = "secret") -> None:
        self.texts: list[str] = []
        self.word = word
        self.guardrail = output_guardrail(name="no_secret", policy_hint="never tell secrets")(
            self.check
        )

    def check(self, ctx: Any, agent: Any, text: str) -> GuardrailFunctionOutput:
        self.texts.append(text)
        return GuardrailFunctionOutput(
            self.word in text, {"word": self.word} if self.word in text else None
        )


def methods(transport: ScriptedRealtimeTransport) -> list[str]:
    """The calls made after ``connect``."""
    return [c.method for c in transport.calls if c.method != "connect"]


async def test_debounced_checks_and_a_final_check(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    checks = Checks()
    session = await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[checks.guardrail],
        output_guardrail_settings={"debounce_text_length": 5},
    )
    transport.emit_turn_started("r1")
    for delta in ("Hel", "lo ", "wor", "ld"):
        transport.emit_transcript_delta(delta, response_id="r1", item_id="i1")
    await settle(session)
    assert checks.texts == ["Hello ", "Hello world"]  # at 6 and 11 characters
    transport.emit_turn_done("r1")
    await settle(session)
    assert checks.texts[-1] == "Hello world"
    assert methods(transport) == []


async def test_final_only_with_minus_one(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    checks = Checks()
    session = await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[checks.guardrail],
        output_guardrail_settings={"debounce_text_length": -1},
    )
    transport.emit_turn_started("r1")
    transport.emit_transcript_delta("x" * 500, response_id="r1", item_id="i1")
    await settle(session)
    assert checks.texts == []
    transport.emit_turn_done(
        "r1",
        output=[AssistantMessageItem(item_id="i2", content=(OutputText("late text"),))],
    )
    await settle(session)
    assert sorted(checks.texts) == ["late text", "x" * 500]


async def test_a_trip_interrupts_and_tells_the_model(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    checks = Checks()
    agent = RealtimeAgent("a")
    session = await connect_session(
        agent,
        output_guardrails=[checks.guardrail],
        output_guardrail_settings={"debounce_text_length": 10},
    )
    recorder = Recorder(session, ("guardrail_tripped",))
    transport.emit_turn_started("r1")
    transport.emit_transcript_delta("the secret code is 1234", response_id="r1", item_id="i1")
    await transport.expect_call("interrupt")
    feedback = await transport.expect_call("send_message")
    assert "blocked" in feedback.args["message"]
    assert "never tell secrets" in feedback.args["message"]
    await settle(session)
    (event,) = recorder.of("guardrail_tripped")
    assert (event.agent, event.response_id, event.item_id) == (agent, "r1", "i1")
    assert event.guardrail_results[0].output.output_info == {"word": "secret"}
    # More text and the final check of the same response do not trip again.
    transport.emit_transcript_delta(" and another secret" * 3, response_id="r1", item_id="i1")
    transport.emit_turn_done("r1")
    await settle(session)
    assert len(recorder.of("guardrail_tripped")) == 1
    assert methods(transport) == ["interrupt", "send_message"]


async def test_text_responses_are_cancelled_by_response_id(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    checks = Checks()
    await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[checks.guardrail],
        output_guardrail_settings={"debounce_text_length": 3},
    )
    transport.emit_turn_started("r1")
    transport.emit(
        "output_text_delta", OutputTextDeltaEvent(item_id="i1", delta="a secret", response_id="r1")
    )
    cancel = await transport.expect_call("cancel_response")
    assert cancel.args["response_id"] == "r1"
    await transport.expect_call("send_message")


async def test_a_stale_guardrail_never_interrupts_a_newer_response(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    release = asyncio.Event()

    @output_guardrail
    async def slow(ctx: Any, agent: Any, text: str) -> bool:
        await release.wait()
        return True

    session = await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[slow],
        output_guardrail_settings={"debounce_text_length": 1},
    )
    recorder = Recorder(session, ("guardrail_tripped",))
    transport.emit_turn_started("r1")
    transport.emit_transcript_delta("x", response_id="r1", item_id="i1")
    await asyncio.sleep(0)
    transport.emit_turn_done("r1")
    transport.emit_turn_started("r2")
    await asyncio.sleep(0.01)
    release.set()
    await settle(session)
    assert [e.response_id for e in recorder.of("guardrail_tripped")] == ["r1"]
    assert methods(transport) == []  # neither interrupt nor feedback reached the newer response


async def test_results_after_close_do_nothing(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    release = asyncio.Event()

    @output_guardrail
    async def slow(ctx: Any, agent: Any, text: str) -> bool:
        await release.wait()
        return True

    session = await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[slow],
        output_guardrail_settings={"debounce_text_length": 1},
    )
    transport.emit_turn_started("r1")
    transport.emit_transcript_delta("x", response_id="r1", item_id="i1")
    await asyncio.sleep(0)
    transport.disconnect()
    release.set()
    await settle(session)
    assert methods(transport) == []


async def test_guardrail_errors_are_reported_not_trips(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    @output_guardrail
    def broken(ctx: Any, agent: Any, text: str) -> bool:
        raise ValueError("bad guardrail")

    session = await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[broken],
        output_guardrail_settings={"debounce_text_length": 1},
    )
    recorder = Recorder(session, ("error", "guardrail_tripped"))
    transport.emit_turn_started("r1")
    transport.emit_transcript_delta("x", response_id="r1", item_id="i1")
    await settle(session)
    assert recorder.names() == ["error"]


async def test_agent_guardrails_apply_to_their_responses(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    checks = Checks()
    session = await connect_session(RealtimeAgent("a", output_guardrails=[checks.guardrail]))
    transport.emit_turn_started("r1")
    transport.emit_turn_done(
        "r1",
        output=[AssistantMessageItem(item_id="i1", content=(OutputAudio(transcript="my secret"),))],
    )
    await transport.expect_call("interrupt")
    await transport.expect_call("send_message")
    await settle(session)


class Plugin:
    def __init__(self) -> None:
        self.checks = Checks()
        self.trips: list[tuple[str, str | None, Any]] = []

    @hookimpl
    def realtime_agents_register_guardrails(self, register: Any) -> None:
        register(self.checks.guardrail)

    @hookimpl
    def realtime_agents_guardrail_tripped(
        self,
        session: Any,
        agent: Any,
        guardrail_name: str,
        response_id: str | None,
        output_info: Any,
    ) -> None:
        self.trips.append((guardrail_name, response_id, output_info))


async def test_plugin_guardrails_by_name_and_the_trip_hook() -> None:
    plugin = Plugin()
    transport = ScriptedRealtimeTransport()
    session = RealtimeSession(
        RealtimeAgent("a"),
        transport=transport,
        plugin_host=make_host(plugin),
        output_guardrails=["no_secret"],
    )
    await session.connect()
    transport.emit_turn_started("r1")
    transport.emit_turn_done(
        "r1",
        output=[AssistantMessageItem(item_id="i1", content=(OutputText("secret"),))],
    )
    await settle(session)
    assert plugin.trips == [("no_secret", "r1", {"word": "secret"})]
    await session.close()


def test_unknown_guardrail_names_are_rejected() -> None:
    from realtime_agents.errors import UserError

    with pytest.raises(UserError, match="no plugin registers a guardrail named 'nope'"):
        RealtimeSession(
            RealtimeAgent("a"),
            transport=ScriptedRealtimeTransport(),
            plugin_host=make_host(),
            output_guardrails=["nope"],
        )


async def test_a_trip_on_a_dropped_connection_reports_nothing(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    checks = Checks()
    session = await connect_session(
        RealtimeAgent("a"),
        output_guardrails=[checks.guardrail],
        output_guardrail_settings={"debounce_text_length": 3},
    )
    recorder = Recorder(session, ("error", "guardrail_tripped"))

    def drop(event: Any) -> None:  # the connection dies as the guardrail trips: interrupt fails
        transport.disconnect()

    session.on("guardrail_tripped", drop)
    transport.emit_turn_started("r1")
    transport.emit_transcript_delta("secret", response_id="r1", item_id="i1")
    await settle(session)
    assert recorder.names() == ["guardrail_tripped"]
