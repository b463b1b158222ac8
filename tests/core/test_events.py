"""Event payloads and history items: frozen, validated shapes."""

from __future__ import annotations

import attrs
import pytest

from realtime_agents import events, items
from realtime_agents.events import EVENT_NAMES, ConnectionStatus, Usage


def test_every_contract_event_name_has_a_payload_class() -> None:
    assert set(EVENT_NAMES) == {
        "*", "error", "function_call", "audio", "audio_interrupted", "audio_transcript_delta",
        "output_text_delta", "audio_done", "usage_update", "item_update", "item_deleted",
        "connection_change", "turn_started", "turn_done", "mcp_tool_call_completed",
        "mcp_approval_request", "mcp_tools_listed",
    }  # fmt: skip
    for class_name in EVENT_NAMES.values():
        module = items if class_name.endswith("Item") else events
        assert hasattr(module, class_name), class_name


def test_payloads_are_frozen() -> None:
    audio = events.AudioEvent(data=b"\x00\x00", response_id="resp_1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        audio.data = b""  # type: ignore[misc]


def test_audio_repr_hides_bytes() -> None:
    assert "<4 bytes>" in repr(events.AudioEvent(data=b"abcd"))


def test_usage_adds_counters_and_nested_details() -> None:
    a = Usage(1, 10, 5, 15, {"audio_tokens": 3, "cached": {"text": 1}}, {"text_tokens": 5})
    b = Usage(1, 2, 1, 3, {"audio_tokens": 1, "cached": {"text": 2}, "new": 7}, {})
    total = a + b
    assert (total.requests, total.input_tokens, total.output_tokens, total.total_tokens) == (
        2, 12, 6, 18,
    )  # fmt: skip
    assert total.input_tokens_details == {"audio_tokens": 4, "cached": {"text": 3}, "new": 7}
    assert total.output_tokens_details == {"text_tokens": 5}


def test_connection_status_compares_with_doc_strings() -> None:
    assert ConnectionStatus.CONNECTED == "connected"
    assert str(ConnectionStatus.DISCONNECTING) == "disconnecting"


def test_turn_started_exposes_response_id() -> None:
    raw = {"type": "response.created", "response": {"id": "resp_9"}}
    assert events.TurnStartedEvent(provider_data=raw).response_id == "resp_9"
    assert events.TurnStartedEvent(provider_data={}).response_id is None


def test_items_evolve_into_new_objects() -> None:
    item = items.AssistantMessageItem(
        item_id="item_1", content=(items.OutputAudio(transcript="hi"),)
    )
    done = attrs.evolve(item, status="completed")
    assert item.status == "in_progress"
    assert done.status == "completed"
    assert done.role == "assistant"
    assert "audio=" not in repr(items.OutputAudio(audio="QUJD", transcript="x"))
