"""Audio output, server VAD user turns, transcription, barge-in, truncation and idle timeout."""

from __future__ import annotations

import asyncio
import base64

import pytest
from emulator_helpers import b64, openai_client, recv_until, silence, speech, types, user_text

from realtime_agents_emulator import AudioFormat, Emulator, Rule, RulesBrain, Say
from realtime_agents_emulator.synth import synthetic_speech

NO_DELTAS = [
    "conversation.item.added",
    "conversation.item.done",
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]
STORY = RulesBrain([Rule(text="story", then=[Say("Once upon a time", audio_ms=3000)])])


def no_deltas(events: list) -> list[str]:
    return [name for name in types(events) if not name.endswith(".delta")]


async def test_audio_reply_is_streamed_in_20ms_frames_with_transcript(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.response.create()
        events = await recv_until(conn, "rate_limits.updated")
    assert no_deltas(events) == NO_DELTAS
    audio = [base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"]
    assert all(len(chunk) % 960 == 0 for chunk in audio)  # 20 ms of PCM16 at 24 kHz
    assert b"".join(audio) == synthetic_speech("You said: hi")
    transcript = "".join(
        e.delta for e in events if e.type == "response.output_audio_transcript.delta"
    )
    assert transcript == "You said: hi"
    first_audio = types(events).index("response.output_audio.delta")
    assert types(events)[first_audio - 1] == "response.output_audio_transcript.delta"
    done = next(e for e in events if e.type == "response.done")
    content = done.response.output[0].content[0]
    assert (content.type, content.transcript, content.audio) == ("output_audio", transcript, None)


@pytest.mark.parametrize(("kind", "frame"), [("audio/pcmu", 160), ("audio/pcma", 160)])
async def test_g711_output_formats(emu: Emulator, kind: str, frame: int) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(
            session={"type": "realtime", "audio": {"output": {"format": {"type": kind}}}}
        )
        await recv_until(conn, "session.updated")
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.response.create()
        events = await recv_until(conn, "rate_limits.updated")
    audio = b"".join(
        base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
    )
    assert len(audio) % frame == 0
    assert len(audio) == len(synthetic_speech("You said: hi")) // 6  # 24 kHz PCM16 → 8 kHz 8-bit
    decoded = AudioFormat(kind).decode(audio)
    assert abs(len(decoded) - len(synthetic_speech("You said: hi"))) <= 12


async def test_vad_user_turn_with_transcription(emu: Emulator) -> None:
    session = {
        "type": "realtime",
        "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
    }
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(session=session)
        await recv_until(conn, "session.updated")
        audio = silence(500) + speech(600) + silence(400)
        for start in range(0, len(audio), 4800):  # 100 ms appends
            await conn.input_audio_buffer.append(audio=b64(audio[start : start + 4800]))
        events = await recv_until(conn, "rate_limits.updated")
    assert no_deltas(events)[:8] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "conversation.item.input_audio_transcription.completed",
        "response.created",
        "response.output_item.added",
    ]
    started, stopped, committed, added = events[:4]
    assert started.audio_start_ms == 500 - 300  # speech at 500 ms minus prefix padding
    assert stopped.audio_end_ms == 500 + 600 + 200  # plus the 200 ms of silence it waited for
    assert started.item_id == stopped.item_id == committed.item_id == added.item.id
    assert added.item.content[0].type == "input_audio"
    assert added.item.content[0].transcript is None
    completed = next(e for e in events if e.type.endswith("transcription.completed"))
    assert completed.transcript == "Hello."
    assert completed.usage.type == "tokens"
    transcript = "".join(
        e.delta for e in events if e.type == "response.output_audio_transcript.delta"
    )
    assert transcript == "You said: Hello."
    stored = emu.connections[0]._session.conversation.get(added.item.id)  # type: ignore[union-attr]
    assert len(stored.audio[0]) == (1300 - 200) * 48


async def test_pcmu_input_is_detected_by_vad(emu: Emulator) -> None:
    session = {"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}}}}
    ulaw = AudioFormat("audio/pcmu").encode(speech(400) + silence(400))
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(session=session)
        await recv_until(conn, "session.updated")
        await conn.input_audio_buffer.append(audio=b64(ulaw))
        # Read to the end of the reply: a client that stops reading mid-stream stalls its own
        # close handshake (websockets pauses reading once its queue is full).
        events = await recv_until(conn, "rate_limits.updated")
    started, stopped = events[:2]
    assert (started.audio_start_ms, stopped.audio_end_ms) == (0, 600)


async def test_semantic_vad_and_no_automatic_response(emu: Emulator) -> None:
    detection = {"type": "semantic_vad", "eagerness": "high", "create_response": False}
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"turn_detection": detection}}}
        )
        (updated,) = await recv_until(conn, "session.updated")
        assert updated.session.audio.input.turn_detection.type == "semantic_vad"
        await conn.input_audio_buffer.append(audio=b64(speech(300) + silence(300)))
        events = await recv_until(conn, "conversation.item.done")
        stopped = events[1]
        assert stopped.audio_end_ms == 300 + 260  # 250 ms of silence, in whole 20 ms frames
        await asyncio.sleep(0.05)
    assert "response.created" not in types(emu.connections[0].server_events)


async def test_barge_in_cancels_with_turn_detected_then_truncate(
    make_emulator,
) -> None:
    emu = await make_emulator(brain=STORY, audio_speed=1.0)
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("tell me a story"))
        await conn.response.create()
        events = await recv_until(conn, "response.output_audio.delta")
        item_id = events[-1].item_id
        await conn.input_audio_buffer.append(audio=b64(speech(100)))
        events = await recv_until(conn, "response.done")
        assert no_deltas(events) == [
            "input_audio_buffer.speech_started",
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
        ]
        done = events[-1]
        assert done.response.status == "cancelled"
        assert done.response.status_details.reason == "turn_detected"
        assert done.response.output[0].status == "incomplete"
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=60)
        events = await recv_until(conn, "conversation.item.truncated")
        assert events[-1].audio_end_ms == 60
        await conn.conversation.item.retrieve(item_id=item_id)
        (retrieved,) = list(await recv_until(conn, "conversation.item.retrieved"))[-1:]
    truncate = await emu.connections[0].wait_for_client_event("conversation.item.truncate")
    assert truncate["audio_end_ms"] == 60
    content = retrieved.item.content[0]
    assert content.transcript == ""
    assert len(base64.b64decode(content.audio)) == 60 * 48


async def test_interrupt_response_false_keeps_the_response(make_emulator) -> None:
    emu = await make_emulator(brain=STORY, audio_speed=4.0)
    detection = {"type": "server_vad", "interrupt_response": False, "create_response": False}
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"turn_detection": detection}}}
        )
        await recv_until(conn, "session.updated")
        await conn.conversation.item.create(item=user_text("story"))
        await conn.response.create()
        await recv_until(conn, "response.output_audio.delta")
        await conn.input_audio_buffer.append(audio=b64(speech(100)))
        events = await recv_until(conn, "response.done")
    assert "input_audio_buffer.speech_started" in types(events)
    assert events[-1].response.status == "completed"


async def test_client_cancel_and_cancel_without_response(make_emulator) -> None:
    emu = await make_emulator(brain=STORY, audio_speed=1.0)
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.response.cancel()
        (error,) = await recv_until(conn, "error")
        assert error.error.code == "response_cancel_not_active"
        await conn.conversation.item.create(item=user_text("story"))
        await conn.response.create()
        await recv_until(conn, "response.output_audio.delta")
        await conn.response.create()
        error = (await recv_until(conn, "error"))[-1]
        assert error.error.code == "conversation_already_has_active_response"
        await conn.response.cancel()
        done = (await recv_until(conn, "response.done"))[-1]
    assert done.response.status == "cancelled"
    assert done.response.status_details.reason == "client_cancelled"


async def test_manual_commit_and_too_short_commit(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(
            session={"type": "realtime", "audio": {"input": {"turn_detection": None}}}
        )
        await recv_until(conn, "session.updated")
        await conn.input_audio_buffer.append(audio=b64(speech(50)))
        await conn.input_audio_buffer.commit()
        (error,) = await recv_until(conn, "error")
        assert error.error.code == "input_audio_buffer_commit_empty"
        assert "buffer only has 50.00ms of audio" in error.error.message
        await conn.input_audio_buffer.append(audio=b64(speech(100)))
        await conn.input_audio_buffer.commit()
        events = await recv_until(conn, "conversation.item.done")
        assert types(events) == [
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
        ]
        await conn.input_audio_buffer.append(audio=b64(speech(100)))
        await conn.input_audio_buffer.clear()
        await recv_until(conn, "input_audio_buffer.cleared")
        await conn.response.create(response={"output_modalities": ["text"]})
        events = await recv_until(conn, "response.done")
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "You said: Hello."
    assert len(emu.connections[0]._session.conversation) == 2  # type: ignore[union-attr]


async def test_truncate_errors(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.response.create()
        events = await recv_until(conn, "response.done")
        item_id = events[-1].response.output[0].id
        total_ms = len(synthetic_speech("You said: hi")) // 48
        await conn.conversation.item.truncate(
            item_id=item_id, content_index=0, audio_end_ms=total_ms + 1
        )
        error = (await recv_until(conn, "error"))[-1]
        assert error.error.code is None
        assert error.error.message == (
            f"Audio content of {total_ms}ms is already shorter than {total_ms + 1}ms"
        )
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=-1)
        error = (await recv_until(conn, "error"))[-1]
        assert (error.error.code, error.error.param) == ("integer_below_min_value", "audio_end_ms")
        await conn.conversation.item.truncate(item_id="nope", content_index=0, audio_end_ms=0)
        error = (await recv_until(conn, "error"))[-1]
        assert error.error.code == "item_not_found"
        await conn.conversation.item.truncate(
            item_id=item_id, content_index=0, audio_end_ms=total_ms
        )
        assert (await recv_until(conn, "conversation.item.truncated"))[-1].audio_end_ms == total_ms


async def test_idle_timeout_triggers_a_response(emu: Emulator) -> None:
    detection = {"type": "server_vad", "idle_timeout_ms": 100}
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(
            session={
                "type": "realtime",
                "output_modalities": ["text"],
                "audio": {"input": {"turn_detection": detection}},
            }
        )
        await recv_until(conn, "session.updated")
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.response.create()
        await recv_until(conn, "rate_limits.updated")
        await conn.input_audio_buffer.append(audio=b64(silence(60)))
        events = await recv_until(conn, "response.done")
    assert types(events)[:5] == [
        "input_audio_buffer.timeout_triggered",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    triggered = events[0]
    assert (triggered.audio_start_ms, triggered.audio_end_ms) == (0, 60)


async def test_voice_is_locked_after_audio_output(emu: Emulator) -> None:
    voice = {"type": "realtime", "audio": {"output": {"voice": "marin"}}}
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.session.update(session=voice)
        (updated,) = await recv_until(conn, "session.updated")
        assert updated.session.audio.output.voice == "marin"
        await conn.conversation.item.create(item=user_text("hi"))
        await conn.response.create()
        await recv_until(conn, "rate_limits.updated")
        await conn.session.update(session={**voice, "audio": {"output": {"voice": "cedar"}}})
        (error,) = await recv_until(conn, "error")
        assert error.error.code == "cannot_update_voice"
        await conn.session.update(session=voice)  # the same voice is fine
        (updated,) = await recv_until(conn, "session.updated")
    assert emu.connections[0].session["audio"]["output"]["voice"] == "marin"


async def test_truncate_while_streaming_then_cancel(make_emulator) -> None:
    """Clients truncate the playing item first and cancel second (the fastest barge-in)."""
    emu = await make_emulator(brain=STORY, audio_speed=1.0)
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("tell me a story"))
        await conn.response.create()
        events = await recv_until(conn, "response.output_audio.delta")
        item_id = events[-1].item_id
        await conn.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=60)
        await conn.response.cancel()
        events = await recv_until(conn, "response.done")
        assert "error" not in types(events)
        truncated = next(e for e in events if e.type == "conversation.item.truncated")
        assert (truncated.item_id, truncated.audio_end_ms) == (item_id, 60)
        assert events[-1].response.status == "cancelled"
        await conn.conversation.item.retrieve(item_id=item_id)
        (retrieved,) = list(await recv_until(conn, "conversation.item.retrieved"))[-1:]
    assert len(base64.b64decode(retrieved.item.content[0].audio)) == 60 * 48
