"""Event payloads and history items: frozen, validated shapes."""

from __future__ import annotations

import attrs
import pytest

from realtime_agents import events, items
from realtime_agents.events import ConnectionStatus, RealtimeTransportEventTypes, Usage


def test_every_contract_event_name_has_a_payload_type() -> None:
    assert set(RealtimeTransportEventTypes) == {
        "*", "error", "function_call", "audio", "audio_interrupted", "audio_transcript_delta",
        "output_text_delta", "audio_done", "usage_update", "item_update", "item_deleted",
        "connection_change", "turn_started", "turn_done", "input_audio_transcription",
        "mcp_tool_call_completed", "mcp_approval_request", "mcp_tools_listed",
    }  # fmt: skip
    assert RealtimeTransportEventTypes["*"] is events.ServerEvent
    assert RealtimeTransportEventTypes["item_update"] is items.RealtimeItem
    assert RealtimeTransportEventTypes["usage_update"] is Usage
    assert RealtimeTransportEventTypes["mcp_tool_call_completed"] is items.McpCallItem
    assert RealtimeTransportEventTypes["mcp_approval_request"] is items.McpApprovalRequestItem
    carried_items = {"*", "item_update", "usage_update", "mcp_tool_call_completed"}
    for name, payload in RealtimeTransportEventTypes.items():
        if name in carried_items | {"mcp_approval_request"}:
            continue
        assert isinstance(payload, type), name
        assert attrs.fields_dict(payload)["type"].default == name, name


def test_event_types_are_read_only() -> None:
    with pytest.raises(TypeError):
        RealtimeTransportEventTypes["extra"] = object()  # type: ignore[index]


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


def test_turn_payloads_are_provider_neutral() -> None:
    raw = {"type": "response.created", "response": {"id": "resp_9"}}
    started = events.TurnStartedEvent("resp_9", provider_data=raw)
    assert (started.response_id, started.provider_data, started.type) == (
        "resp_9", raw, "turn_started",
    )  # fmt: skip
    assert events.TurnStartedEvent(None).provider_data is None
    message = items.AssistantMessageItem("item_1", (items.OutputText("hi"),), "completed")
    done = events.TurnDoneEvent(events.TurnDoneResponse("resp_9", [message], Usage(requests=1)))
    assert done.type == "turn_done"
    assert done.response.output == (message,)  # a list becomes an immutable tuple
    assert (done.response.status, done.response.provider_data) == ("completed", None)


def test_input_audio_transcription_and_transcript_delta_names() -> None:
    heard = events.InputAudioTranscriptionEvent("item_u", "hello")
    assert (heard.content_index, heard.provider_data, heard.type) == (
        0, None, "input_audio_transcription",
    )  # fmt: skip
    assert events.TranscriptDeltaEvent("item_a", "Hel").type == "audio_transcript_delta"


def test_items_evolve_into_new_objects() -> None:
    item = items.AssistantMessageItem(
        item_id="item_1", content=(items.OutputAudio(transcript="hi"),)
    )
    done = attrs.evolve(item, status="completed")
    assert item.status == "in_progress"
    assert done.status == "completed"
    assert done.role == "assistant"
    assert "audio=" not in repr(items.OutputAudio(audio="QUJD", transcript="x"))
