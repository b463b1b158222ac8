"""MockRealtimeTransport and the server_events builders that ship in realtime_agents.testing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from server_event_checks import validate_server_events

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.errors import ConnectionClosedError, UserError
from realtime_agents.events import AudioEvent, ConnectionStatus, ErrorEvent
from realtime_agents.testing import MockRealtimeTransport, server_events


def test_every_builder_makes_real_realtime_api_events() -> None:
    events = [
        server_events.session_created("gpt-realtime"),
        server_events.session_updated(),
        *server_events.text_response("hi"),
        *server_events.audio_response(b"\x00\x01" * 2400, "hello", chunk=1000),
        *server_events.function_call_response("get_weather", '{"city":"Paris"}'),
        server_events.speech_started(),
        server_events.speech_stopped("item_1", 500),
        server_events.input_transcription("item_1", "hello"),
        server_events.error("boom", code="bad", event_id="evt_1"),
    ]
    validate_server_events(events)  # openai.types.realtime's tagged union accepts each one


async def test_a_function_as_the_server() -> None:
    def server(event: dict[str, Any]) -> Any:
        if event["type"] == "response.create":
            return server_events.text_response("Hello!")
        return None

    transport = MockRealtimeTransport(server, model="gpt-test")
    done = asyncio.get_running_loop().create_future()
    transport.on("turn_done", done.set_result)
    await transport.connect()
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.send_message("hi")
    event = await asyncio.wait_for(done, 5)
    assert event.response.output[0].content[0].text == "Hello!"
    assert transport.received_types() == [
        "session.update",
        "session.update",  # tracing, sent once the session exists
        "conversation.item.create",
        "response.create",
    ]
    assert transport.received[0]["session"]["model"] == "gpt-test"
    await transport.close()


async def test_async_handlers_are_awaited_in_order() -> None:
    seen: list[str] = []

    async def server(event: dict[str, Any]) -> None:
        await asyncio.sleep(0.001 if event["type"] == "session.update" else 0)
        seen.append(event["type"])

    transport = MockRealtimeTransport(server)
    await transport.connect()
    await transport.send_event({"type": "input_audio_buffer.clear"})
    await transport.send_event({"type": "input_audio_buffer.commit"})
    await asyncio.sleep(0.05)
    assert seen == [
        *["session.update"] * 2,
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
    ]
    await transport.close()


async def test_push_and_barge_in_run_on_the_real_protocol() -> None:
    transport = MockRealtimeTransport()
    audio: list[AudioEvent] = []
    transport.on("audio", audio.append)
    await transport.connect()
    transport.push(*server_events.audio_response(b"\x00\x00" * 24000, "one second"))
    assert sum(len(a.data) for a in audio) == 48000
    transport.push(server_events.speech_started())  # the user talks over the reply
    await asyncio.sleep(0.01)
    truncate = next(e for e in transport.received if e["type"] == "conversation.item.truncate")
    assert truncate["item_id"] == audio[0].item_id
    assert 0 <= truncate["audio_end_ms"] <= 1000
    await transport.close()


async def test_drop_and_a_broken_handler_end_the_connection_with_an_error() -> None:
    def server(event: dict[str, Any]) -> None:
        if event["type"] == "input_audio_buffer.commit":
            raise RuntimeError("server bug")

    transport = MockRealtimeTransport(server)
    errors: list[ErrorEvent] = []
    transport.on("error", errors.append)
    await transport.connect()
    transport.drop()
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert "1006" in str(errors[-1].error)
    with pytest.raises(UserError, match="no open connection"):
        transport.drop()
    await transport.connect()
    await transport.send_event({"type": "input_audio_buffer.commit"})
    await asyncio.sleep(0.01)
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert "mock handler raised RuntimeError" in str(errors[-1].error)
    with pytest.raises(ConnectionClosedError):
        await transport.send_message("anyone?")
    await transport.close()


async def test_a_session_over_the_mock_runs_a_tool() -> None:
    @tool
    def get_weather(city: str) -> str:
        """The weather."""
        return f"sunny in {city}"

    def server(event: dict[str, Any]) -> Any:
        if event["type"] != "response.create":
            return None
        outputs = [
            e["item"]["output"]
            for e in transport.received
            if e["type"] == "conversation.item.create"
            and e["item"]["type"] == "function_call_output"
        ]
        if outputs:
            return server_events.text_response(f"It is {outputs[-1]}.")
        return server_events.function_call_response("get_weather", '{"city": "Oslo"}')

    transport = MockRealtimeTransport(server)
    async with RealtimeSession(RealtimeAgent("a", tools=[get_weather]), transport=transport) as s:
        answered = asyncio.Event()
        ends: list[Any] = []

        def on_end(event: Any) -> None:
            ends.append(event)
            if event.output_text:
                answered.set()

        s.on("agent_end", on_end)
        await s.connect()
        await s.send_message("weather?")
        await asyncio.wait_for(answered.wait(), 5)
        assert [e.output_text for e in ends] == ["", "It is sunny in Oslo."]


class _EnglishOnly(MockRealtimeTransport):
    """A transport whose medium fixes part of the session (as Twilio fixes µ-law)."""

    def prepare_session_config(self, config: Any) -> Any:
        return {**config, "instructions": "Answer in English."}


async def test_a_transport_prepares_the_config_it_sends_on_connect_and_on_update() -> None:
    transport = _EnglishOnly()
    await transport.connect(initial_session_config={"instructions": "Réponds en français."})
    await transport.update_session_config(
        {"instructions": "Antworte auf Deutsch.", "output_modalities": ["text"]}
    )
    await asyncio.sleep(0)  # the mock server reads what was written on the next iteration
    await transport.close()
    updates = [event["session"] for event in transport.received if "session" in event]
    assert updates[0]["instructions"] == "Answer in English."
    assert updates[-1]["output_modalities"] == ["text"]  # the update went out, prepared
    assert [update["instructions"] for update in updates if "instructions" in update] == [
        "Answer in English.",
        "Answer in English.",
    ]
    # The session's wire payload (what a SIP app passes to calls.accept) is prepared alike.
    session = RealtimeSession(RealtimeAgent("a", "Réponds en français."), transport=_EnglishOnly())
    payload = await session.get_initial_session_payload()
    assert payload["instructions"] == "Answer in English."
    plain = RealtimeSession(
        RealtimeAgent("a", "Réponds en français."), transport=MockRealtimeTransport()
    )
    assert (await plain.get_initial_session_payload())["instructions"] == "Réponds en français."
