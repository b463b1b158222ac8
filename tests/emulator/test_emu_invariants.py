"""Property tests: random client event sequences never crash the server, every event it sends
validates, the socket stays open, and responses to the default conversation never overlap."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from emulator_helpers import Raw, b64, silence, speech, validate_server_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_agents_emulator import Emulator, RealtimeError, Rule, RulesBrain, Say
from realtime_agents_emulator.config import SESSION, apply_update, default_session

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "audio",
                    "input",
                    "format",
                    "rate",
                    "voice",
                    "turn_detection",
                    "tools",
                    "x",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)

SESSIONS = st.sampled_from(
    [
        {"type": "realtime", "output_modalities": ["text"]},
        {"type": "realtime", "output_modalities": ["audio"]},
        {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
        {
            "type": "realtime",
            "audio": {
                "input": {
                    "turn_detection": {
                        "type": "server_vad",
                        "silence_duration_ms": 100,
                        "interrupt_response": False,
                    }
                }
            },
        },
        {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}},
        {"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}}}},
        {"type": "realtime", "audio": {"output": {"format": {"type": "audio/pcma"}}}},
        {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        {"type": "realtime", "tools": [{"type": "function", "name": "get_weather"}]},
        {"type": "realtime", "audio": {"output": {"voice": "cedar"}}},
        {"type": "realtime", "bogus": True},
        {"type": "transcription"},
        {"instructions": "no type"},
    ]
)

# Placeholders resolved at run time from the ids the server has announced.
ITEM_REFS = st.sampled_from(["$last_item", "$last_assistant", "item_unknown"])

ACTIONS = st.one_of(
    st.builds(lambda s: {"type": "session.update", "session": s}, SESSIONS),
    st.builds(
        lambda ms, loud: {
            "type": "input_audio_buffer.append",
            "audio": b64(speech(ms) if loud else silence(ms)),
        },
        st.integers(10, 400),
        st.booleans(),
    ),
    st.just({"type": "input_audio_buffer.append", "audio": "%%%"}),
    st.just({"type": "input_audio_buffer.commit"}),
    st.just({"type": "input_audio_buffer.clear"}),
    st.builds(
        lambda text: {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
            },
        },
        st.sampled_from(["hi", "get_weather now", "story", ""]),
    ),
    st.builds(
        lambda ref: {
            "type": "conversation.item.create",
            "previous_item_id": ref,
            "item": {"type": "function_call_output", "call_id": "call_1", "output": "ok"},
        },
        ITEM_REFS,
    ),
    st.builds(lambda ref: {"type": "conversation.item.retrieve", "item_id": ref}, ITEM_REFS),
    st.builds(lambda ref: {"type": "conversation.item.delete", "item_id": ref}, ITEM_REFS),
    st.builds(
        lambda ref, ms: {
            "type": "conversation.item.truncate",
            "item_id": ref,
            "content_index": 0,
            "audio_end_ms": ms,
        },
        ITEM_REFS,
        st.integers(-5, 3000),
    ),
    st.just({"type": "response.create"}),
    st.just({"type": "response.create", "response": {"conversation": "none"}}),
    st.just(
        {
            "type": "response.create",
            "response": {"output_modalities": ["text"], "max_output_tokens": 3},
        }
    ),
    st.just({"type": "response.cancel"}),
    st.builds(lambda data: {"type": "session.update", "session": data}, JSON),
    st.builds(
        lambda kind, data: {"type": kind, **(data if isinstance(data, dict) else {})},
        st.sampled_from(
            ["response.create", "conversation.item.create", "nope", "output_audio_buffer.clear"]
        ),
        JSON,
    ),
    st.sampled_from(["<binary>", "<not json>", "<array>"]),
)

BRAIN = RulesBrain([Rule(text="story", then=[Say("Once upon a time", audio_ms=400)])])


def resolve(action: Any, events: list[dict[str, Any]]) -> Any:
    if not isinstance(action, dict):
        return action
    ids = [e["item"]["id"] for e in events if e["type"] == "conversation.item.added"]
    assistant = [
        e["item"]["id"]
        for e in events
        if e["type"] == "conversation.item.added" and e["item"].get("role") == "assistant"
    ]
    mapping = {
        "$last_item": ids[-1] if ids else "item_none",
        "$last_assistant": assistant[-1] if assistant else "item_none",
    }
    return {
        key: mapping.get(value, value) if isinstance(value, str) else value
        for key, value in action.items()
    }


async def run_sequence(actions: list[Any], speed: float) -> None:
    async with Emulator(brain=BRAIN, audio_speed=speed, speech="synthetic", seed=1) as emu:
        async with await Raw.connect(emu) as raw:
            await raw.recv()
            conn = await emu.wait_for_connection()
            for action in actions:
                action = resolve(action, conn.server_events)
                if action == "<binary>":
                    await raw.ws.send_bytes(b"\x00")
                elif action == "<not json>":
                    await raw.ws.send_str("{")
                elif action == "<array>":
                    await raw.ws.send_str("[]")
                else:
                    await raw.send(action)
                await asyncio.sleep(0)
            await raw.send({"type": "conversation.item.retrieve", "item_id": "marker"})
            await conn.wait_for_server_event(
                "error", where=lambda e: "marker" in e["error"]["message"], timeout=10
            )
            # Every JSON object was recorded, in order, and the socket is still serving.
            assert len(conn.client_events) == sum(isinstance(a, dict) for a in actions) + 1
            session = conn._session
            assert session is not None
            for _ in range(500):  # let responses in flight finish (fast speeds: quickly)
                if session.active_response_id is None and not session._out_of_band:
                    break
                await asyncio.sleep(0.01)
        events = list(conn.server_events)
    assert emu.crashes == []
    validate_server_events(events)
    check_responses(events)


def check_responses(events: list[dict[str, Any]]) -> None:
    assert events[0]["type"] == "session.created"
    assert len({e["event_id"] for e in events}) == len(events)
    open_default: str | None = None
    created: set[str] = set()
    for event in events:
        if event["type"] == "response.created":
            response = event["response"]
            created.add(response["id"])
            if response["conversation_id"] is not None:
                assert open_default is None, "two responses to the default conversation overlap"
                open_default = response["id"]
        elif event["type"] == "response.done":
            response = event["response"]
            assert response["id"] in created
            created.discard(response["id"])
            if response["conversation_id"] is not None:
                assert response["id"] == open_default
                open_default = None
    assert created == set(), "every response ends with response.done"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ACTIONS, max_size=14), st.sampled_from([0.0, 20.0]))
def test_random_client_sequences_never_break_the_server(actions: list[Any], speed: float) -> None:
    # At speed 20 a 400 ms reply streams for 20 ms, so later events meet a response in flight.
    asyncio.run(run_sequence(actions, speed))


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_session_validation_only_raises_protocol_errors(data: Any) -> None:
    payload = {"type": "realtime", **data} if isinstance(data, dict) else data
    try:
        checked = SESSION.check(payload, "session")
    except RealtimeError:
        return
    assert isinstance(checked, dict)
    try:
        merged = apply_update(default_session("realtime", "m"), checked, voice_locked=True)
    except RealtimeError:
        return
    json.dumps(merged)
