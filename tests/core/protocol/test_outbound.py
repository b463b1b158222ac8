import base64
import json

import pytest

from realtime_agents.errors import UserError
from realtime_agents.events import FunctionCallEvent
from realtime_agents.items import FunctionCallItem, McpApprovalRequestItem
from realtime_agents.protocol import OpenAIRealtimeProtocol

from . import frames


@pytest.fixture
def proto() -> OpenAIRealtimeProtocol:
    return OpenAIRealtimeProtocol("gpt-realtime-2")


def test_send_message_text(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_message("hello", {"previous_item_id": "root"})
    assert frames.loads(proto.data_to_send()) == [
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "hello"}],
            },
            "previous_item_id": "root",
        },
        {"type": "response.create", "event_id": "realtime_agents_response_create_1"},
    ]


def test_send_message_structured_with_image(proto: OpenAIRealtimeProtocol) -> None:
    message = {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "what is this?"},
            {
                "type": "input_image",
                "image": "data:image/png;base64,AA",
                "provider_data": {"detail": "high"},
            },
        ],
    }
    proto.send_message(message, trigger_response=False)
    (event,) = frames.loads(proto.data_to_send())
    assert event["item"]["content"] == [
        {"type": "input_text", "text": "what is this?"},
        {"type": "input_image", "image_url": "data:image/png;base64,AA", "detail": "high"},
    ]


def test_bad_message_raises(proto: OpenAIRealtimeProtocol) -> None:
    with pytest.raises(UserError):
        proto.send_message({"type": "message"})
    assert proto.data_to_send() == []


def test_add_image(proto: OpenAIRealtimeProtocol) -> None:
    proto.add_image("https://x/cat.png", trigger_response=False)
    (event,) = frames.loads(proto.data_to_send())
    assert event["item"]["content"] == [{"type": "input_image", "image_url": "https://x/cat.png"}]
    proto.add_image("https://x/cat.png")
    assert frames.types(proto.data_to_send()) == ["conversation.item.create", "response.create"]


def test_send_audio_and_commit(proto: OpenAIRealtimeProtocol) -> None:
    pcm = bytes(range(256)) * 3
    proto.send_audio(pcm)
    proto.send_audio(b"\x01\x02", commit=True)
    events = frames.loads(proto.data_to_send())
    assert events == [
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()},
        {"type": "input_audio_buffer.append", "audio": "AQI="},
        {"type": "input_audio_buffer.commit"},
    ]


def call_event(item_id: str | None = "item_f") -> FunctionCallEvent:
    return FunctionCallEvent(
        name="get_weather",
        call_id="call_1",
        arguments="{}",
        id=item_id,
        previous_item_id="item_0",
        response_id="resp_1",
    )


def test_send_function_call_output(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_function_call_output(call_event(), "sunny")
    assert proto.events_received() == [
        (
            "item_update",
            FunctionCallItem(
                item_id="item_f",
                name="get_weather",
                arguments="{}",
                call_id="call_1",
                output="sunny",
                status="completed",
                previous_item_id="item_0",
            ),
        )
    ]
    assert frames.loads(proto.data_to_send()) == [
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "output": "sunny", "call_id": "call_1"},
        },
        {"type": "response.create", "event_id": "realtime_agents_response_create_1"},
    ]


def test_send_function_call_output_without_response_or_item_id(
    proto: OpenAIRealtimeProtocol,
) -> None:
    proto.send_function_call_output(call_event(None), "x", start_response=False)
    assert proto.events_received() == []
    assert frames.types(proto.data_to_send()) == ["conversation.item.create"]


@pytest.mark.parametrize(("reason", "extra"), [(None, {}), ("too risky", {"reason": "too risky"})])
def test_send_mcp_response(
    proto: OpenAIRealtimeProtocol, reason: str | None, extra: dict[str, str]
) -> None:
    request = McpApprovalRequestItem("mcpr_1", "deepwiki", "ask", {"q": "x"})
    proto.send_mcp_response(request, False, reason)
    assert frames.loads(proto.data_to_send()) == [
        {
            "type": "conversation.item.create",
            "previous_item_id": "mcpr_1",
            "item": {
                "type": "mcp_approval_response",
                "approval_request_id": "mcpr_1",
                "approve": False,
                **extra,
            },
        }
    ]


def test_send_raw(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_raw({"type": "input_audio_buffer.clear", "event_id": "mine"})
    assert frames.loads(proto.data_to_send()) == [
        {"type": "input_audio_buffer.clear", "event_id": "mine"}
    ]


@pytest.mark.parametrize("bad", [{"no": "type"}, {"type": 3}, ["response.create"]])
def test_send_raw_rejects_non_events(proto: OpenAIRealtimeProtocol, bad: object) -> None:
    with pytest.raises(UserError):
        proto.send_raw(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("event_type", ["conversation.item.create", "response.create"])
def test_unserialisable_events_fail_before_queueing(
    proto: OpenAIRealtimeProtocol, event_type: str
) -> None:
    with pytest.raises(UserError, match="JSON"):
        proto.send_raw({"type": event_type, "response": {"x": {1, 2}}})
    with pytest.raises(UserError, match="JSON"):
        proto.send_message("hi", {"metadata": object()})
    assert proto.data_to_send() == []
    proto.send_message("hi")
    assert frames.types(proto.data_to_send()) == ["conversation.item.create", "response.create"]


def test_session_update_uses_the_model(proto: OpenAIRealtimeProtocol) -> None:
    assert proto.model == "gpt-realtime-2"
    proto.model = "gpt-realtime-mini"
    proto.session_update({"instructions": "be brief", "tracing": None})
    (event,) = frames.loads(proto.data_to_send())
    assert event["type"] == "session.update"
    assert event["session"]["model"] == "gpt-realtime-mini"
    assert event["session"]["instructions"] == "be brief"
    assert "tracing" not in event["session"]


def test_data_to_send_drains_in_order(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_raw({"type": "a"})
    proto.send_raw({"type": "b"})
    assert [json.loads(f)["type"] for f in proto.data_to_send()] == ["a", "b"]
    assert proto.data_to_send() == []


def test_events_received_drains_frames_and_intents_in_order() -> None:
    proto = OpenAIRealtimeProtocol(clock=frames.Clock())
    proto.receive_frame(frames.response_created("resp_1"))
    proto.receive_frame(frames.audio_delta("resp_1", "item_a", frames.pcm_ms(100)))
    proto.interrupt()
    proto.send_function_call_output(call_event(), "x", start_response=False)
    assert [name for name, _ in proto.events_received()] == [
        "*",
        "response.created",
        "turn_started",
        "*",
        "response.output_audio.delta",
        "audio",
        "audio_interrupted",
        "item_update",
    ]
    assert proto.events_received() == []
