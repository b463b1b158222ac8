import pytest

from realtime_agents.errors import UserError
from realtime_agents.items import (
    AssistantMessageItem,
    FunctionCallItem,
    InputAudio,
    InputImage,
    InputText,
    McpApprovalRequestItem,
    McpCallItem,
    OutputAudio,
    OutputText,
    SystemMessageItem,
    UserMessageItem,
)
from realtime_agents.protocol.wire_items import (
    function_call_from_wire,
    has_output_audio,
    mcp_approval_request_from_wire,
    mcp_call_from_wire,
    message_from_wire,
    message_to_wire,
)

from . import frames


def test_user_message_from_wire() -> None:
    item = frames.user_item(
        "item_u",
        content=[
            {"type": "input_text", "text": "hi"},
            {"type": "input_audio", "transcript": None},
            {"type": "input_image", "image_url": "data:image/png;base64,AA", "detail": "low"},
            {"type": "future_part", "x": 1},
        ],
    )
    assert message_from_wire(item, default_status="in_progress", previous_item_id="item_0") == (
        UserMessageItem(
            "item_u",
            (
                InputText("hi"),
                InputAudio(None, None),
                InputImage("data:image/png;base64,AA", "low"),
            ),
            status="completed",
            previous_item_id="item_0",
        )
    )


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"type": "output_audio", "transcript": "hello"}, OutputAudio(None, "hello")),
        ({"type": "audio", "transcript": "hello"}, OutputAudio(None, "hello")),
        ({"type": "output_text", "text": "hello"}, OutputText("hello")),
        ({"type": "text", "text": "hello"}, OutputText("hello")),
    ],
)
def test_assistant_content_including_legacy_parts(part: dict[str, str], expected: object) -> None:
    item = frames.assistant_item("item_a", status=None, content=[part])
    message = message_from_wire(item, default_status="completed")
    assert message == AssistantMessageItem("item_a", (expected,), status="completed")  # type: ignore[arg-type]


def test_system_message_and_unknown_role() -> None:
    item = {
        "id": "s",
        "type": "message",
        "role": "system",
        "content": [{"type": "input_text", "text": "be nice"}],
    }
    assert message_from_wire(item, default_status="completed") == SystemMessageItem(
        "s", (InputText("be nice"),)
    )
    assert message_from_wire({**item, "role": "developer"}, default_status="completed") is None


def test_invalid_status_falls_back_to_default() -> None:
    item = frames.assistant_item("a", status="weird")
    assert message_from_wire(item, default_status="in_progress").status == "in_progress"  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", [{"type": "message", "role": "user"}, {"id": 3, "role": "user"}])
def test_unreadable_items_raise(bad: dict[str, object]) -> None:
    with pytest.raises((KeyError, TypeError)):
        message_from_wire(bad, default_status="completed")


def test_function_call_from_wire_is_in_progress_without_output() -> None:
    item = frames.function_call_item("item_f", "call_1")
    assert function_call_from_wire(item, previous_item_id="p") == FunctionCallItem(
        item_id="item_f",
        name="get_weather",
        arguments='{"city":"Paris"}',
        call_id="call_1",
        output=None,
        status="in_progress",
        previous_item_id="p",
    )


def test_mcp_items() -> None:
    call = {"id": "m", "type": "mcp_tool_call", "name": "ask", "arguments": "{}", "output": "42"}
    assert mcp_call_from_wire(call, status="completed") == McpCallItem(
        "m", "ask", "{}", "42", "completed", type="mcp_tool_call"
    )
    request = {
        "id": "r",
        "type": "mcp_approval_request",
        "server_label": "deepwiki",
        "name": "ask",
        "arguments": '{"q": "x"}',
    }
    assert mcp_approval_request_from_wire(request) == McpApprovalRequestItem(
        "r", "deepwiki", "ask", {"q": "x"}
    )
    with pytest.raises(ValueError, match="JSON object"):
        mcp_approval_request_from_wire({**request, "arguments": "[1]"})


def test_message_to_wire() -> None:
    user = UserMessageItem(
        "u",
        (InputText("hi"), InputAudio("AAAA", "hey"), InputImage("https://x/y.png")),
        "completed",
    )
    assert message_to_wire(user) == {
        "id": "u",
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "hi"},
            {"type": "input_audio", "audio": "AAAA", "transcript": "hey"},
            {"type": "input_image", "image_url": "https://x/y.png"},
        ],
        "status": "completed",
    }
    system = SystemMessageItem("s", (InputText("rules"),))
    assert message_to_wire(system) == {
        "id": "s",
        "type": "message",
        "role": "system",
        "content": [{"type": "input_text", "text": "rules"}],
    }
    assistant = AssistantMessageItem("a", (OutputText("ok"),), "completed")
    assert message_to_wire(assistant)["content"] == [{"type": "output_text", "text": "ok"}]  # type: ignore[index]
    assert message_to_wire(FunctionCallItem("f", "n", "{}")) is None


def test_assistant_audio_cannot_go_to_the_wire() -> None:
    audio = AssistantMessageItem("a", (OutputAudio(None, "said"),), "completed")
    assert has_output_audio(audio)
    assert not has_output_audio(AssistantMessageItem("a", (OutputText("x"),)))
    with pytest.raises(UserError, match="output_audio"):
        message_to_wire(audio)
