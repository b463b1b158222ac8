"""session.update merge semantics and the schema engine behind validation."""

from __future__ import annotations

import copy

import pytest
from emulator_helpers import Raw

from realtime_agents_emulator import Emulator, RealtimeError
from realtime_agents_emulator.config import SESSION, apply_update, default_session
from realtime_agents_emulator.schema import ByType, Int, Str

BASE = default_session("realtime", "gpt-realtime")


def update(current: dict, change: dict, voice_locked: bool = False) -> dict:
    checked = SESSION.check({"type": "realtime", **change}, "session")
    assert isinstance(checked, dict)
    return apply_update(current, checked, voice_locked=voice_locked)


def test_present_fields_merge_and_others_stay() -> None:
    merged = update(BASE, {"instructions": "Be brief.", "audio": {"output": {"speed": 1.2}}})
    assert merged["instructions"] == "Be brief."
    assert merged["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "alloy",
        "speed": 1.2,
    }
    assert merged["tools"] == []
    assert BASE["instructions"] != "Be brief."  # the input is not mutated


def test_empty_values_and_null_clear() -> None:
    tool = {"type": "function", "name": "f"}
    with_tools = update(BASE, {"tools": [tool], "instructions": "x"})
    cleared = update(with_tools, {"tools": [], "instructions": ""})
    assert (cleared["tools"], cleared["instructions"]) == ([], "")
    no_vad = update(BASE, {"audio": {"input": {"turn_detection": None}}})
    assert no_vad["audio"]["input"]["turn_detection"] is None
    ignored = update(BASE, {"instructions": None, "tools": None})
    assert ignored["instructions"] == BASE["instructions"]


def test_turn_detection_merges_within_a_type_and_resets_across() -> None:
    tuned = update(
        BASE, {"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 0.7}}}}
    )
    again = update(
        tuned,
        {
            "audio": {
                "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 800}}
            }
        },
    )
    detection = again["audio"]["input"]["turn_detection"]
    assert (detection["threshold"], detection["silence_duration_ms"]) == (0.7, 800)
    semantic = update(again, {"audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}})
    assert semantic["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "auto",
        "create_response": True,
        "interrupt_response": True,
    }


def test_noise_reduction_keeps_strength_and_format_gets_rate() -> None:
    first = update(
        BASE, {"audio": {"input": {"noise_reduction": {"type": "near_field", "strength": 0.3}}}}
    )
    second = update(first, {"audio": {"input": {"noise_reduction": {"type": "far_field"}}}})
    assert second["audio"]["input"]["noise_reduction"] == {"type": "far_field", "strength": 0.3}
    pcm = update(BASE, {"audio": {"input": {"format": {"type": "audio/pcm"}}}})
    assert pcm["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}


def test_locked_voice_tracing_and_type_changes_are_errors() -> None:
    with pytest.raises(RealtimeError) as caught:
        update(BASE, {"audio": {"output": {"voice": "cedar"}}}, voice_locked=True)
    assert caught.value.code == "cannot_update_voice"
    traced = update(BASE, {"tracing": "auto"})
    with pytest.raises(RealtimeError):
        update(traced, {"tracing": {"workflow_name": "other"}})
    assert update(traced, {"tracing": "auto"})["tracing"] == "auto"
    with pytest.raises(RealtimeError) as caught:
        apply_update(BASE, {"type": "transcription"}, voice_locked=False)
    assert caught.value.param == "session.type"


def test_model_is_fixed_by_the_connection() -> None:
    assert update(BASE, {"model": "gpt-realtime-mini"})["model"] == "gpt-realtime"


def test_schema_messages() -> None:
    with pytest.raises(RealtimeError) as caught:
        ByType({"integer": Int(1, 4096), "string": Str(("inf",))}).check(1.5, "max_output_tokens")
    assert caught.value.message == (
        "Invalid type for 'max_output_tokens': expected an integer or a string, "
        "but got a decimal instead."
    )
    with pytest.raises(RealtimeError) as caught:
        Int(1, 4096).check(5000, "n")
    assert caught.value.code == "integer_above_max_value"
    with pytest.raises(RealtimeError) as caught:
        Int().check(True, "n")
    assert caught.value.code == "invalid_type"
    with pytest.raises(RealtimeError) as caught:
        Str(("a", "b", "c")).check("d", "x")
    assert caught.value.message == "Invalid value: 'd'. Supported values are: 'a', 'b', and 'c'."


async def test_session_updated_carries_the_full_effective_config(emu: Emulator) -> None:
    async with await Raw.connect(emu) as raw:
        created = (await raw.recv())["session"]
        await raw.send(
            {
                "type": "session.update",
                "event_id": "evt_1",
                "session": {
                    "type": "realtime",
                    "instructions": "Hi",
                    "tools": [{"name": "lookup"}],
                },
            }
        )
        updated = await raw.recv()
    assert updated["type"] == "session.updated"
    expected = copy.deepcopy(created)
    expected.update(instructions="Hi", tools=[{"name": "lookup", "type": "function"}])
    assert updated["session"] == expected
    assert updated["event_id"] != "evt_1"
    assert emu.connections[0].session == expected
