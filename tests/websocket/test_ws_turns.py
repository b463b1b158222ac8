"""Conversation turns over OpenAIRealtimeWebSocket against the emulator: text, audio with VAD,
function calls, raw events, sequencing, barge-in and truncation."""

from __future__ import annotations

import asyncio

import pytest
from ws_helpers import KEY, Recorder, assert_no_tasks_left, make_transport

from realtime_agents.errors import ConnectionClosedError, UserError
from realtime_agents.events import AudioEvent, ConnectionStatus, ServerEvent
from realtime_agents.items import FunctionCallItem
from realtime_agents_emulator import CallFunction, Emulator, Rule, RulesBrain, Say, pcm16_silence
from realtime_agents_emulator import pcm16_tone as tone

TEXT = {"output_modalities": ["text"]}
VAD = {"type": "server_vad", "silence_duration_ms": 200}


def vad_config(**turn_detection: object) -> dict[str, object]:
    return {"audio": {"input": {"turn_detection": {**VAD, **turn_detection}}}}


async def test_text_turn(emu: Emulator) -> None:
    transport = make_transport(emu)
    rec = Recorder(
        transport,
        ["turn_started", "output_text_delta", "item_update", "usage_update", "turn_done", "audio"],
    )
    await transport.connect(api_key=KEY, initial_session_config=TEXT)
    await transport.send_message("hello there")
    done = await rec.wait_for("turn_done")
    text = "".join(d.delta for d in rec.of("output_text_delta"))
    assert text == "You said: hello there"
    names = rec.names()
    assert names.index("turn_started") < names.index("output_text_delta")
    assert names[-2:] == ["usage_update", "turn_done"]
    assert rec.of("audio") == []
    assert done.response.id == rec.of("turn_started")[0].response_id
    conn = emu.connections[0]
    sent = [e["type"] for e in conn.client_events]
    assert sent[-2:] == ["conversation.item.create", "response.create"]
    await transport.close()


async def test_audio_turn_with_server_vad(emu: Emulator) -> None:
    transport = make_transport(emu)
    rec = Recorder(transport, ["audio", "audio_transcript_delta", "turn_started", "turn_done"])
    speech = Recorder(transport, ["input_audio_buffer.speech_started", "audio_done"])
    await transport.connect(api_key=KEY, initial_session_config=vad_config())
    for _ in range(5):
        await transport.send_audio(tone(100))
    await transport.send_audio(pcm16_silence(400))
    await speech.wait_for("input_audio_buffer.speech_started")
    done = await rec.wait_for("turn_done")
    audio = rec.of("audio")
    assert audio
    assert all(isinstance(a, AudioEvent) and isinstance(a.data, bytes) for a in audio)
    assert {a.response_id for a in audio} == {done.response.id}
    assert sum(len(a.data) for a in audio) % 2 == 0  # whole PCM16 samples
    assert "".join(d.delta for d in rec.of("audio_transcript_delta")).startswith("You said")
    await speech.wait_for("audio_done")
    conn = emu.connections[0]
    appends = [e for e in conn.client_events if e["type"] == "input_audio_buffer.append"]
    assert len(appends) == 6
    await transport.close()


async def test_send_audio_commit_ends_the_turn_without_vad(emu: Emulator) -> None:
    transport = make_transport(emu)
    await transport.connect(
        api_key=KEY, initial_session_config={"audio": {"input": {"turn_detection": None}}}
    )
    await transport.send_audio(tone(300), commit=True)
    conn = emu.connections[0]
    await conn.wait_for_server_event("input_audio_buffer.committed")
    assert [e["type"] for e in conn.client_events][-2:] == [
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
    ]
    await transport.close()


async def test_send_audio_accepts_a_15_mib_append(emu: Emulator) -> None:
    transport = make_transport(emu)
    await transport.connect(
        api_key=KEY, initial_session_config={"audio": {"input": {"turn_detection": None}}}
    )
    pcm = bytes(15 * 1024 * 1024)
    await transport.send_audio(pcm)
    event = await emu.connections[0].wait_for_client_event("input_audio_buffer.append", timeout=30)
    assert len(event["audio"]) == (len(pcm) + 2) // 3 * 4
    assert transport.status is ConnectionStatus.CONNECTED
    await transport.close()


async def test_function_call_round_trip(make_emulator) -> None:
    brain = RulesBrain(
        [
            Rule(text="weather", then=[CallFunction("get_weather", {"city": "Paris"})]),
            Rule(tool="get_weather", then=[Say("It is {output} in Paris.")]),
        ]
    )
    emu = await make_emulator(brain=brain)
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    transport = make_transport(emu)
    rec = Recorder(transport, ["function_call", "item_update", "turn_done", "output_text_delta"])
    await transport.connect(api_key=KEY, initial_session_config={**TEXT, "tools": [tool]})
    await transport.send_message("what is the weather?")
    call = await rec.wait_for("function_call")
    assert (call.name, call.arguments) == ("get_weather", '{"city":"Paris"}')
    assert call.response_id is not None
    await transport.send_function_call_output(call, "20C")
    answered = await rec.wait_for(
        "item_update", lambda i: isinstance(i, FunctionCallItem) and i.output == "20C"
    )
    assert answered.status == "completed"
    await rec.wait_for("turn_done", lambda e: e.response.id != call.response_id)
    assert "".join(d.delta for d in rec.of("output_text_delta")).endswith("It is 20C in Paris.")
    sent = [e["type"] for e in emu.connections[0].client_events]
    assert sent[-2:] == ["conversation.item.create", "response.create"]
    await transport.close()


async def test_star_gets_every_server_event_as_a_private_copy(emu: Emulator) -> None:
    transport = make_transport(emu)
    star: list[str] = []
    typed: list[ServerEvent] = []

    def vandal(event: ServerEvent) -> None:
        star.append(event.type)
        event.data["response"] = "mutated by a * listener"

    transport.on("*", vandal)
    transport.on("response.done", typed.append)
    await transport.connect(api_key=KEY, initial_session_config=TEXT)
    await transport.send_message("hi")
    await transport.wait_for("turn_done", timeout=5)
    await asyncio.sleep(0.05)  # rate_limits.updated follows response.done
    conn = emu.connections[0]
    assert star == [e["type"] for e in conn.server_events]
    assert isinstance(typed[0].data["response"], dict)
    await transport.close()


async def test_add_image_update_session_config_and_raw_events(emu: Emulator) -> None:
    transport = make_transport(emu)
    await transport.connect(api_key=KEY, initial_session_config=TEXT)
    conn = emu.connections[0]
    await transport.add_image("data:image/png;base64,iVBORw0KGgo=", trigger_response=False)
    image = await conn.wait_for_client_event("conversation.item.create")
    assert image["item"]["content"][0]["image_url"].startswith("data:image/png")
    await transport.update_session_config({"instructions": "Speak like a pirate.", **TEXT})
    await conn.wait_for_server_event(
        "session.updated", where=lambda e: e["session"]["instructions"] == "Speak like a pirate."
    )
    await transport.send_event({"type": "input_audio_buffer.clear"})
    await conn.wait_for_server_event("input_audio_buffer.cleared")
    assert transport.muted is None
    with pytest.raises(UserError, match="Mute is not supported"):
        await transport.mute(True)
    await transport.close()


async def test_methods_need_a_connection(emu: Emulator) -> None:
    transport = make_transport(emu)
    await transport.send_audio(b"\x00\x00")  # silently dropped
    with pytest.raises(ConnectionClosedError):
        await transport.send_message("hi")
    with pytest.raises(ConnectionClosedError):
        await transport.send_event({"type": "response.create"})
    with pytest.raises(ConnectionClosedError):
        await transport.interrupt()
    with pytest.raises(ConnectionClosedError):
        await transport.update_session_config({})
    await transport.close()


async def test_response_create_is_sequenced_under_load(make_emulator) -> None:
    emu = await make_emulator(audio_speed=0)
    transport = make_transport(emu)
    rec = Recorder(transport, ["turn_done", "error"])
    await transport.connect(api_key=KEY, initial_session_config=TEXT)
    conn = emu.connections[0]
    sends = []
    for n in range(30):
        sends.append(transport.send_message(f"message {n}"))
        if n % 3 == 0:
            sends.append(transport.send_event({"type": "response.create"}))
    await asyncio.gather(*sends)

    def creates() -> int:
        return sum(e["type"] == "response.create" for e in conn.client_events)

    async with asyncio.timeout(20):  # until every deferred create went out and was answered
        while True:
            await asyncio.sleep(0.1)
            done = sum(e["type"] == "response.done" for e in conn.server_events)
            if done == creates() and transport.protocol.response_ongoing is False:
                await asyncio.sleep(0.2)
                if done == creates():
                    break
    errors = [e for e in conn.server_events if e["type"] == "error"]
    assert errors == []
    assert rec.of("error") == []
    assert 10 <= creates() <= 40  # manual creates stay distinct, auto ones coalesce
    await transport.close()


# -- barge-in -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LONG_REPLY = RulesBrain([Rule(then=[Say("a long story", audio_ms=4000)])])


@pytest.mark.parametrize("interrupt_response", [True, False])
async def test_barge_in_truncates_at_the_wall_clock_position(
    make_emulator, interrupt_response: bool
) -> None:
    emu = await make_emulator(brain=LONG_REPLY, audio_speed=1.0)
    clock = FakeClock()
    transport = make_transport(emu, clock=clock)
    rec = Recorder(transport, ["audio", "audio_interrupted", "turn_done"])
    config = vad_config(interrupt_response=interrupt_response, create_response=False)
    await transport.connect(api_key=KEY, initial_session_config=config)
    conn = emu.connections[0]
    await transport.send_message("tell me a story")
    first = await rec.wait_for("audio")
    clock.now += 0.057  # 57 ms "played"; the first delta alone holds 100 ms
    await transport.send_audio(tone(200))  # the user barges in: the emulator's VAD fires
    interrupted = await rec.wait_for("audio_interrupted")
    truncate = await conn.wait_for_client_event("conversation.item.truncate")
    assert truncate == {
        "type": "conversation.item.truncate",
        "item_id": first.item_id,
        "content_index": 0,
        "audio_end_ms": 57,
    }
    assert (interrupted.item_id, interrupted.audio_end_ms) == (first.item_id, 57)
    done = await rec.wait_for("turn_done")
    assert done.response.status == "cancelled"
    cancels = [e for e in conn.client_events if e["type"] == "response.cancel"]
    assert len(cancels) == (0 if interrupt_response else 1)  # never a double cancel
    await conn.wait_for_server_event("conversation.item.truncated")
    # late audio of the interrupted response is never delivered
    at = rec.events.index(("audio_interrupted", interrupted))
    late = [p for n, p in rec.events[at:] if n == "audio" and p.response_id == first.response_id]
    conn.send_event(
        {
            "type": "response.output_audio.delta",
            "response_id": first.response_id,
            "item_id": first.item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": "AAAA",
        }
    )
    await conn.wait_for_server_event(
        "response.output_audio.delta", where=lambda e: e["delta"] == "AAAA"
    )
    await asyncio.sleep(0.05)
    late += [p for n, p in rec.events[at:] if n == "audio" and p.response_id == first.response_id]
    assert late == []
    await transport.close()


async def test_barge_in_wall_clock_is_clamped_to_audio_received(make_emulator) -> None:
    emu = await make_emulator(brain=RulesBrain([Rule(then=[Say("short", audio_ms=300)])]))
    clock = FakeClock()
    transport = make_transport(emu, clock=clock)
    rec = Recorder(transport, ["audio_done", "audio_interrupted"])
    await transport.connect(api_key=KEY, initial_session_config=vad_config())
    await transport.send_message("hi")
    await rec.wait_for("audio_done")
    clock.now += 0.2999  # still playing, by the wall clock
    conn = emu.connections[0]
    conn.send_event(
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 0, "item_id": "item_u"}
    )
    truncate = await conn.wait_for_client_event("conversation.item.truncate")
    assert truncate["audio_end_ms"] == 299  # floor, not rounded
    clock.now += 10
    await transport.close()


@pytest.mark.parametrize("report", [{"ms": 42.9}, {"bytes": 4800}], ids=["ms", "bytes"])
async def test_barge_in_with_a_playback_tracker_is_exact(make_emulator, report) -> None:
    emu = await make_emulator(brain=LONG_REPLY, audio_speed=1.0)
    transport = make_transport(emu)  # the real clock: reports must win over it
    rec = Recorder(transport, ["audio", "audio_interrupted"])
    await transport.connect(api_key=KEY, initial_session_config=vad_config())
    await transport.send_message("tell me a story")
    first = await rec.wait_for("audio")
    transport.on_played(first.item_id, 0, **report)
    await asyncio.sleep(0.3)  # wall clock moves on; the app says it played less
    await transport.send_audio(tone(200))
    truncate = await emu.connections[0].wait_for_client_event("conversation.item.truncate")
    assert truncate["audio_end_ms"] == (42 if "ms" in report else 100)
    await transport.close()


async def test_explicit_interrupt_cancels_and_truncates(make_emulator) -> None:
    emu = await make_emulator(brain=LONG_REPLY, audio_speed=1.0)
    clock = FakeClock()
    transport = make_transport(emu, clock=clock)
    rec = Recorder(transport, ["audio", "audio_interrupted", "turn_done"])
    await transport.connect(api_key=KEY, initial_session_config=vad_config())
    await transport.send_message("tell me a story")
    first = await rec.wait_for("audio")
    clock.now += 0.025
    await transport.interrupt()
    assert rec.of("audio_interrupted")[0].audio_end_ms == 25  # emitted before interrupt() returns
    conn = emu.connections[0]
    truncate = await conn.wait_for_client_event("conversation.item.truncate")
    cancel = await conn.wait_for_client_event("response.cancel")
    assert conn.client_events.index(truncate) < conn.client_events.index(cancel)
    assert truncate["item_id"] == first.item_id
    await rec.wait_for("turn_done", lambda e: e.response.status == "cancelled")
    await transport.interrupt()  # nothing playing: no second truncate
    await asyncio.sleep(0.05)
    assert sum(e["type"] == "conversation.item.truncate" for e in conn.client_events) == 1
    await transport.close()
    await assert_no_tasks_left()
