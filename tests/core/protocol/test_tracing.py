import logging
from typing import Any

import pytest

from realtime_agents.protocol import OpenAIRealtimeProtocol

from . import frames


def tracing_updates(proto: OpenAIRealtimeProtocol) -> list[Any]:
    return [
        e["session"]
        for e in frames.loads(proto.data_to_send())
        if e["type"] == "session.update" and "tracing" in e["session"]
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "auto"),
        ({"tracing": "auto"}, "auto"),
        ({"tracing": None}, None),
        (
            {"tracing": {"workflow_name": "support", "group_id": "g1", "metadata": {"a": 1}}},
            {"workflow_name": "support", "group_id": "g1", "metadata": {"a": 1}},
        ),
    ],
)
def test_initial_tracing_sent_after_session_created(config: dict[str, Any], expected: Any) -> None:
    proto = OpenAIRealtimeProtocol()
    proto.session_update(config)
    proto.data_to_send()
    frames.feed(proto, frames.session_created())
    assert tracing_updates(proto) == [{"type": "realtime", "tracing": expected}]


def test_nothing_sent_before_session_created() -> None:
    proto = OpenAIRealtimeProtocol()
    proto.session_update({"tracing": None})
    assert tracing_updates(proto) == []


@pytest.mark.parametrize("tracing", [None, {"workflow_name": "other"}])
def test_tracing_cannot_change_once_the_server_has_an_object(
    tracing: Any, caplog: pytest.LogCaptureFixture
) -> None:
    proto = OpenAIRealtimeProtocol()
    proto.session_update({"tracing": tracing})
    with caplog.at_level(logging.WARNING, logger="realtime_agents.protocol"):
        frames.feed(proto, frames.session_created(tracing={"workflow_name": "preset"}))
    assert tracing_updates(proto) == []
    assert "cannot be changed" in caplog.text


def test_auto_is_sent_even_over_a_server_object() -> None:
    proto = OpenAIRealtimeProtocol()
    frames.feed(proto, frames.session_created(tracing={"workflow_name": "preset"}))
    assert tracing_updates(proto) == [{"type": "realtime", "tracing": "auto"}]


def test_later_session_updates_keep_the_tracing_choice_and_a_new_connection_forgets_it() -> None:
    proto = OpenAIRealtimeProtocol()
    proto.session_update({"tracing": None})
    proto.session_update({"instructions": "handoff"})
    frames.feed(proto, frames.session_created())
    assert tracing_updates(proto) == [{"type": "realtime", "tracing": None}]
    fresh = OpenAIRealtimeProtocol()
    frames.feed(fresh, frames.session_created())
    assert tracing_updates(fresh) == [{"type": "realtime", "tracing": "auto"}]
