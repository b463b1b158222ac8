"""The real server's strictness (reference §7, §12): each bad input gets the real error code and
the socket stays open."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import Raw, b64, speech

from realtime_agents_emulator import Emulator
from realtime_agents_emulator.client_events import WEBSOCKET_TYPES

REALTIME = {"type": "realtime"}

CASES: list[tuple[str, dict[str, Any], str | None, str | None]] = [
    ("unknown type", {"type": "nope"}, "invalid_value", "type"),
    ("missing type", {"event_id": "x"}, "missing_required_parameter", "type"),
    ("webrtc-only type", {"type": "output_audio_buffer.clear"}, "invalid_value", "type"),
    (
        "unknown session field",
        {"type": "session.update", "session": {**REALTIME, "bogus_field": 1}},
        "unknown_parameter",
        "session.bogus_field",
    ),
    (
        "beta session shape",
        {"type": "session.update", "session": {**REALTIME, "voice": "alloy"}},
        "unknown_parameter",
        "session.voice",
    ),
    (
        "no session.type",
        {"type": "session.update", "session": {"instructions": "x"}},
        "missing_required_parameter",
        "session.type",
    ),
    (
        "16 kHz input",
        {
            "type": "session.update",
            "session": {
                **REALTIME,
                "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}},
            },
        },
        "integer_below_min_value",
        "session.audio.input.format.rate",
    ),
    (
        "wrong type",
        {"type": "session.update", "session": {**REALTIME, "instructions": 5}},
        "invalid_type",
        "session.instructions",
    ),
    (
        "both modalities",
        {"type": "session.update", "session": {**REALTIME, "output_modalities": ["text", "audio"]}},
        "invalid_value",
        "session.output_modalities",
    ),
    (
        "bad enum",
        {"type": "session.update", "session": {**REALTIME, "tool_choice": "sometimes"}},
        "invalid_value",
        "session.tool_choice",
    ),
    (
        "threshold above 1",
        {
            "type": "session.update",
            "session": {
                **REALTIME,
                "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 2}}},
            },
        },
        "decimal_above_max_value",
        "session.audio.input.turn_detection.threshold",
    ),
    (
        "unknown response field",
        {"type": "response.create", "response": {"temperature": 0.8}},
        "unknown_parameter",
        "response.temperature",
    ),
    (
        "beta content type",
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": "x"}],
            },
        },
        "invalid_value",
        "item.content[0].type",
    ),
    (
        "client-made assistant audio",
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "assistant", "content": [{"type": "output_audio"}]},
        },
        "invalid_value",
        "item.content[0].type",
    ),
    (
        "bad role",
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "robot", "content": []},
        },
        "invalid_value",
        "item.role",
    ),
    (
        "unknown previous item",
        {
            "type": "conversation.item.create",
            "previous_item_id": "item_x",
            "item": {"type": "function_call_output", "call_id": "c", "output": "o"},
        },
        "item_not_found",
        "previous_item_id",
    ),
    (
        "negative audio_end_ms",
        {
            "type": "conversation.item.truncate",
            "item_id": "i",
            "content_index": 0,
            "audio_end_ms": -5,
        },
        "integer_below_min_value",
        "audio_end_ms",
    ),
    (
        "missing audio",
        {"type": "input_audio_buffer.append"},
        "missing_required_parameter",
        "audio",
    ),
    ("bad base64", {"type": "input_audio_buffer.append", "audio": "!!!"}, "invalid_value", "audio"),
    (
        "empty commit",
        {"type": "input_audio_buffer.commit"},
        "input_audio_buffer_commit_empty",
        None,
    ),
    ("cancel nothing", {"type": "response.cancel"}, "response_cancel_not_active", None),
    (
        "retrieve unknown",
        {"type": "conversation.item.retrieve", "item_id": "x"},
        "item_not_found",
        "item_id",
    ),
    (
        "extra event field",
        {"type": "input_audio_buffer.clear", "foo": 1},
        "unknown_parameter",
        "foo",
    ),
]


@pytest.mark.parametrize(("name", "event", "code", "param"), CASES, ids=[c[0] for c in CASES])
async def test_error_code_and_socket_stays_open(
    emu: Emulator, name: str, event: dict[str, Any], code: str | None, param: str | None
) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({**event, "event_id": "evt_client_1"} if "event_id" not in event else event)
        error = await raw.recv()
        await raw.send({"type": "input_audio_buffer.clear"})
        after = await raw.recv()
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert (error["error"]["code"], error["error"]["param"]) == (code, param)
    if "event_id" not in event:
        assert error["error"]["event_id"] == "evt_client_1"
    assert error["event_id"].startswith("event_")
    assert after["type"] == "input_audio_buffer.cleared"


async def test_messages_match_the_real_server(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({"type": "nope"})
        unknown = (await raw.recv())["error"]["message"]
        await raw.send({"type": "session.update", "session": {**REALTIME, "bogus_field": 1}})
        bogus = (await raw.recv())["error"]["message"]
        await raw.send({"type": "session.update", "session": {"instructions": "x"}})
        missing = (await raw.recv())["error"]["message"]
    assert unknown.startswith("Invalid value: 'nope'. Supported values are: 'session.update', ")
    assert unknown.endswith(", and 'response.cancel'.")
    assert all(f"'{name}'" in unknown for name in WEBSOCKET_TYPES)
    assert bogus == "Unknown parameter: 'session.bogus_field'."
    assert missing == "Missing required parameter: 'session.type'."


async def test_frames_that_are_not_json_objects(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.ws.send_bytes(b"\x00\x01")
        binary = await raw.recv()
        await raw.ws.send_str("{not json")
        not_json = await raw.recv()
        await raw.ws.send_str("[1, 2]")
        not_object = await raw.recv()
        await raw.send({"type": "input_audio_buffer.clear"})
        assert (await raw.recv())["type"] == "input_audio_buffer.cleared"
    assert binary["error"]["code"] == "invalid_event"
    assert binary["error"]["message"] == (
        "Expected a text WebSocket message; binary frames are not supported."
    )
    assert not_json["error"]["code"] == "invalid_json"
    assert not_object["error"]["code"] == "invalid_event"
    conn = emu.connections[0]
    assert conn.invalid_frames == [b"\x00\x01", "{not json", "[1, 2]"]
    assert [e["type"] for e in conn.client_events] == ["input_audio_buffer.clear"]


async def test_rejected_update_is_discarded_whole(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        bad_rate = {"format": {"type": "audio/pcm", "rate": 16000}}
        await raw.send(
            {
                "type": "session.update",
                "session": {**REALTIME, "instructions": "new", "audio": {"input": bad_rate}},
            }
        )
        assert (await raw.recv())["type"] == "error"
        await raw.send({"type": "input_audio_buffer.append", "audio": b64(speech(40))})
        await raw.send({"type": "input_audio_buffer.clear"})
        assert (await raw.recv())["type"] == "input_audio_buffer.speech_started"
    assert emu.connections[0].session["instructions"].startswith("Your knowledge cutoff")


async def test_one_active_response_per_conversation(make_emulator) -> None:
    emu = await make_emulator(audio_speed=1.0)
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({"type": "response.create"})
        created = (await raw.recv_until("response.created"))[-1]
        await raw.send({"type": "response.create"})
        error = await raw.recv_until("error")
        await raw.send({"type": "response.create", "response": {"conversation": "none"}})
        await raw.recv_until("response.created")
        await raw.send({"type": "response.cancel", "response_id": "resp_unknown"})
        cancel_error = (await raw.recv_until("error"))[-1]
        await raw.send({"type": "response.cancel", "response_id": created["response"]["id"]})
        done = (await raw.recv_until("response.done"))[-1]
    message = error[-1]["error"]["message"]
    assert error[-1]["error"]["code"] == "conversation_already_has_active_response"
    assert message == (
        f"Conversation already has an active response in progress: {created['response']['id']}."
        " Wait until the response is finished before creating a new one."
    )
    assert cancel_error["error"]["code"] == "response_cancel_not_active"
    assert done["response"]["id"] == created["response"]["id"]
