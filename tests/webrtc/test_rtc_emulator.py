"""OpenAIRealtimeWebRTC against the emulator's WebRTC endpoint, over real loopback sockets.

Audio is generated (a tone the emulator's VAD hears), sent through a caller-owned track, and
the reply is checked by duration and energy (never bytes: Opus is lossy, and the up-mix to
stereo costs 3 dB).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from webrtc_helpers import disconnected, leftover_tasks, make, rms, seconds, voiced

from realtime_agents import RealtimeAgent, RealtimeSession, tool
from realtime_agents.errors import ConnectionClosedError, ConnectionFailedError
from realtime_agents_emulator import (
    CallFunction,
    Emulator,
    Faults,
    Rule,
    RulesBrain,
    Say,
    pcm16_silence,
    pcm16_tone,
)
from realtime_agents_webrtc import OpenAIRealtimeWebRTC
from realtime_agents_webrtc._media import PacedInput

pytestmark = pytest.mark.timeout(60)

KEY = "sk-webrtc-0123456789abcdef"


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def brain() -> RulesBrain:
    return RulesBrain(
        [
            Rule(audio="*", transcript="hello", then=[Say("Hi there!", audio_ms=1000)]),
            Rule(text="^long$", then=[Say("a long answer", audio_ms=4000)]),
            Rule(text="^weather$", then=[CallFunction("get_weather", {"city": "Oslo"})]),
            Rule(tool="get_weather", then=[Say("tool said: {output}", audio_ms=400)]),
        ]
    )


async def start(make_emulator: Any) -> Emulator:
    emulator: Emulator = await make_emulator(brain=brain(), api_keys=[KEY])
    return emulator


def calls_url(emulator: Emulator) -> str:
    return f"{emulator.base_url}/realtime/calls"


async def test_connect_names_the_call_and_configures_the_session(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    await transport.connect(
        api_key=KEY, initial_session_config={"instructions": "Be brief.", "voice": "marin"}
    )
    call = await emulator.wait_for_call()
    assert transport.call_id == call.call_id
    assert call.session["instructions"] == "Be brief."
    assert transport.status == "connected"
    await transport.close()
    await call.wait_closed()
    assert call.ended_by == "client"


async def test_a_spoken_turn_and_its_reply(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    microphone = PacedInput()  # the caller's track: a generated waveform
    sunk = bytearray()
    transport = make(calls_url(emulator), media_stream=microphone, audio_sink=sunk.extend)
    audio: list[Any] = []
    transport.on("audio", audio.append)
    transcripts: list[Any] = []
    transport.on("input_audio_transcription", transcripts.append)
    done = asyncio.ensure_future(transport.wait_for("turn_done", timeout=20))
    await transport.connect(api_key=KEY)
    await microphone.feed(pcm16_tone(600) + pcm16_silence(900))
    turn = await done
    stopped = await (await emulator.wait_for_call()).wait_for_server_event(
        "output_audio_buffer.stopped", timeout=10
    )
    await asyncio.sleep(0.3)  # the last frames cross the jitter buffer
    await transport.close()
    assert [t.transcript for t in transcripts] == ["hello"]
    reply = b"".join(event.data for event in audio)
    assert {event.response_id for event in audio} == {turn.response.id, stopped["response_id"]}
    assert 0.85 <= seconds(voiced(reply, 300)) <= 1.15  # 1 s of speech, Opus-framed
    assert rms(voiced(reply, 300)) > 1000  # speech, not noise
    assert 0.85 <= seconds(voiced(bytes(sunk), 300)) <= 1.15
    assert microphone.readyState == "live"  # the caller's track is the caller's
    microphone.stop()


async def test_barge_in_interrupts_the_reply(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    microphone = PacedInput()
    transport = make(calls_url(emulator), media_stream=microphone)
    audio: list[Any] = []
    interrupted: list[Any] = []
    transport.on("audio", audio.append)
    transport.on("audio_interrupted", interrupted.append)
    await transport.connect(api_key=KEY)
    call = await emulator.wait_for_call()
    await transport.send_message("long")
    await transport.wait_for("audio", timeout=10)
    await microphone.feed(pcm16_tone(600) + pcm16_silence(900))  # the user talks over it
    await call.wait_for_server_event("output_audio_buffer.cleared", timeout=10)
    await asyncio.sleep(0.3)
    await transport.close()
    microphone.stop()
    assert len(interrupted) == 1
    reply = voiced(b"".join(event.data for event in audio if event.item_id), 300)
    assert seconds(reply) < 3.0  # the server stopped the 4 s reply
    # The reply was generated long before it finished playing: the server truncates it at
    # what was played.
    truncated = await call.wait_for_server_event("conversation.item.truncated", timeout=5)
    assert 0 < truncated["audio_end_ms"] < 3000


async def test_an_interrupt_from_the_client_clears_the_servers_buffer(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    interrupted: list[Any] = []
    transport.on("audio_interrupted", interrupted.append)
    await transport.connect(api_key=KEY)
    call = await emulator.wait_for_call()
    await transport.send_message("long")
    await transport.wait_for("audio", timeout=10)
    await transport.interrupt()
    await call.wait_for_client_event("output_audio_buffer.clear")
    await call.wait_for_server_event("output_audio_buffer.cleared", timeout=5)
    assert len(interrupted) == 1
    await transport.close()


async def test_muted_input_is_not_heard(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    await transport.connect(api_key=KEY)
    call = await emulator.wait_for_call()
    await transport.mute(True)
    await transport.send_audio(pcm16_tone(600) + pcm16_silence(900))
    await transport.mute(False)
    assert not [e for e in call.server_events if e["type"].startswith("input_audio_buffer.speech")]
    started = asyncio.ensure_future(
        transport.wait_for("input_audio_buffer.speech_started", timeout=10)
    )
    await transport.send_audio(pcm16_tone(600) + pcm16_silence(900))
    await started
    await transport.close()


async def test_a_sideband_websocket_runs_the_calls_tools(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    await transport.connect(api_key=KEY)
    agent = RealtimeAgent(name="Weather", instructions="Use the tool.", tools=[get_weather])
    async with RealtimeSession(agent, transport="websocket") as sideband:
        ended = asyncio.ensure_future(sideband.wait_for("agent_tool_end", timeout=10))
        await sideband.connect(api_key=KEY, url=f"{emulator.ws_url}?call_id={transport.call_id}")
        answer = asyncio.ensure_future(
            transport.wait_for(
                "response.output_audio_transcript.done",
                lambda e: "tool said" in e.data["transcript"],
                timeout=10,
            )
        )
        await transport.send_message("weather")
        assert (await ended).output == "sunny in Oslo"
        assert (await answer).data["transcript"] == "tool said: sunny in Oslo"
    await transport.close()


async def test_a_refused_key_gives_the_servers_401_message(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    key = "sk-wrong-0123456789abcdefghij"
    with pytest.raises(ConnectionFailedError) as caught:
        await make(calls_url(emulator)).connect(api_key=key)
    assert caught.value.code == 401
    assert "status 401" in str(caught.value)
    assert "Incorrect API key" in str(caught.value)
    assert key not in str(caught.value)


async def test_a_4xx_answer_to_the_offer_is_a_connection_error(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    with pytest.raises(ConnectionFailedError) as caught:
        await transport.connect(api_key=KEY, model="not-a-model")  # in the session part
    assert caught.value.code == 400
    assert "failed with status 400: Invalid model: 'not-a-model'" in str(caught.value)
    assert transport.status == "disconnected"
    assert emulator.calls == []  # no call was made
    await transport.connect(api_key=KEY)  # still usable
    await transport.close()


async def test_a_server_that_vanishes_ends_the_call_with_an_error(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator), disconnect_grace=0.5)
    errors: list[Any] = []
    transport.on("error", errors.append)
    await transport.connect(api_key=KEY)
    call = await emulator.wait_for_call()
    await asyncio.sleep(0.2)  # media flows
    ended = disconnected(transport)
    await call.drop()
    await ended
    assert len(errors) == 1
    assert "keepalive failed" in str(errors[0].error)
    await transport.close()


async def test_a_hangup_ends_the_call_without_error(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    errors: list[Any] = []
    transport.on("error", errors.append)
    await transport.connect(api_key=KEY)
    call = await emulator.wait_for_call()
    ended = disconnected(transport)
    await call.hangup()
    await ended
    assert errors == []
    await transport.close()


async def test_nothing_is_left_after_close(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    transport = make(calls_url(emulator))
    await transport.connect(api_key=KEY)
    pc = transport.peer_connection
    await transport.send_message("long")
    await transport.wait_for("audio", timeout=10)
    await transport.close()
    assert pc.connectionState == "closed"
    assert all(t.stopped for t in pc.getTransceivers())
    assert transport.peer_connection is None
    await emulator.stop()
    assert await leftover_tasks() == []


async def test_the_default_transport_of_a_session_is_webrtc(
    make_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = await start(make_emulator)
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    agent = RealtimeAgent(name="Greeter", instructions="Be brief.")
    async with RealtimeSession(agent) as session:
        assert isinstance(session.transport, OpenAIRealtimeWebRTC)
        await session.connect(api_key=KEY)
        end = asyncio.ensure_future(session.wait_for("agent_end", timeout=10))
        await session.send_message("long")
        assert (await end).output_text == "a long answer"


async def test_close_during_connect_hangs_the_call_up(make_emulator: Any) -> None:
    emulator = await start(make_emulator)
    emulator.faults.next_connection(Faults(delay_ms=3000))  # session.updated comes late
    transport = make(calls_url(emulator))
    connecting = asyncio.ensure_future(transport.connect(api_key=KEY))
    call = await emulator.wait_for_call()  # made by the server, its answer maybe in flight
    await transport.close()
    with pytest.raises(ConnectionClosedError):
        await connecting
    await call.wait_closed()
    # Hung up over HTTP (ICE never connected, so no goodbye could go over the call), rather
    # than left to the server's own setup timeout, which the emulator counts as the client's.
    assert call.ended_by == "server"
    assert transport.status == "disconnected"
