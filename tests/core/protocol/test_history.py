import logging

import pytest

from realtime_agents.errors import UserError
from realtime_agents.items import (
    AssistantMessageItem,
    FunctionCallItem,
    InputText,
    OutputAudio,
    OutputText,
    RealtimeItem,
    SystemMessageItem,
    UserMessageItem,
)
from realtime_agents.protocol import OpenAIRealtimeProtocol
from realtime_agents.protocol.history import diff_history

from . import frames


def user(item_id: str, text: str = "hi") -> UserMessageItem:
    return UserMessageItem(item_id, (InputText(text),), "completed")


def test_diff_by_item_id() -> None:
    old = [user("a"), user("b"), user("c")]
    new = [user("a"), user("c", "changed"), user("d")]
    diff = diff_history(old, new)
    assert [i.item_id for i in diff.removals] == ["b"]
    assert [i.item_id for i in diff.additions] == ["d"]
    assert [i.item_id for i in diff.updates] == ["c"]


def test_reset_history_deletes_then_creates() -> None:
    proto = OpenAIRealtimeProtocol()
    old = [user("a"), user("b"), user("c")]
    new: list[RealtimeItem] = [
        user("a"),
        user("c", "changed"),
        user("d"),
        SystemMessageItem("s", (InputText("x"),)),
    ]
    proto.reset_history(old, new)
    events = frames.loads(proto.data_to_send())
    assert [(e["type"], e.get("item_id") or e["item"]["id"]) for e in events] == [
        ("conversation.item.delete", "b"),
        ("conversation.item.delete", "c"),
        ("conversation.item.create", "d"),
        ("conversation.item.create", "s"),
        ("conversation.item.create", "c"),
    ]
    assert events[2]["item"] == {
        "id": "d",
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
        "status": "completed",
    }
    assert "status" not in events[3]["item"]


def test_unchanged_history_sends_nothing() -> None:
    proto = OpenAIRealtimeProtocol()
    proto.reset_history([user("a")], [user("a")])
    assert proto.data_to_send() == []


@pytest.mark.parametrize("change", ["addition", "update"])
def test_assistant_audio_rejected_before_anything_is_queued(change: str) -> None:
    proto = OpenAIRealtimeProtocol()
    audio = AssistantMessageItem("a", (OutputAudio(None, "said"),), "completed")
    old: list[RealtimeItem] = [
        user("x"),
        AssistantMessageItem("a", (OutputAudio(None, "old"),), "completed"),
    ]
    if change == "addition":
        old = [user("x")]
    with pytest.raises(UserError, match="assistant audio"):
        proto.reset_history(old, [audio, user("y")])
    assert proto.data_to_send() == []


def test_assistant_text_replay_allowed() -> None:
    proto = OpenAIRealtimeProtocol()
    proto.reset_history([], [AssistantMessageItem("a", (OutputText("said"),), "completed")])
    (event,) = frames.loads(proto.data_to_send())
    assert event["item"]["content"] == [{"type": "output_text", "text": "said"}]


def test_function_call_additions_warn_and_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    proto = OpenAIRealtimeProtocol()
    call = FunctionCallItem("f", "get_weather", "{}", call_id="c", status="completed")
    changed = FunctionCallItem("g", "get_weather", "{}", call_id="d", output="new")
    old = [
        FunctionCallItem("g", "get_weather", "{}", call_id="d"),
        FunctionCallItem("h", "n", "{}"),
    ]
    with caplog.at_level(logging.WARNING, logger="realtime_agents.protocol"):
        proto.reset_history(old, [call, changed])
    # Removals of function calls are fine; added/changed ones are left alone with a warning.
    assert frames.loads(proto.data_to_send()) == [
        {"type": "conversation.item.delete", "item_id": "h"}
    ]
    assert "Function calls cannot be added" in caplog.text
