import pytest

from realtime_agents.protocol import (
    OpenAIRealtimeProtocol,
    ResponseControl,
    ResponseCreateSequencer,
)

from . import frames


@pytest.fixture
def clock() -> frames.Clock:
    return frames.Clock()


@pytest.fixture
def proto(clock: frames.Clock) -> OpenAIRealtimeProtocol:
    return OpenAIRealtimeProtocol(clock=clock)


def sent(proto: OpenAIRealtimeProtocol) -> list[str]:
    return frames.types(proto.data_to_send())


def test_interrupt_then_send_message(proto: OpenAIRealtimeProtocol, clock: frames.Clock) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(200)))
    clock.advance_ms(50)
    frames.interrupt(proto)
    proto.send_message("actually, stop")
    assert sent(proto) == [
        "conversation.item.truncate",
        "response.cancel",
        "conversation.item.create",
    ]
    frames.feed(proto, frames.response_done("resp_1", status="cancelled"))
    assert sent(proto) == ["response.create"]


def test_two_messages_when_idle(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_message("one")
    proto.send_message("two")
    assert sent(proto) == [
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
    ]
    frames.feed(proto, frames.response_created("resp_1"))
    assert sent(proto) == []
    frames.feed(proto, frames.response_done("resp_1"))
    assert frames.loads(proto.data_to_send()) == [
        {"type": "response.create", "event_id": "realtime_agents_response_create_2"}
    ]


def test_waiting_autos_are_coalesced(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    for text in ("a", "b", "c"):
        proto.send_message(text)
    proto.request_response()
    assert sent(proto) == ["conversation.item.create"] * 3
    frames.feed(proto, frames.response_done("resp_1"))
    assert sent(proto) == ["response.create"]


def test_manual_create_is_queued_and_keeps_its_body(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    proto.send_raw(
        {"type": "response.create", "response": {"instructions": "Greet", "conversation": "none"}}
    )
    proto.send_raw(
        {"type": "response.create", "event_id": "mine", "response": {"instructions": "Bye"}}
    )
    assert proto.data_to_send() == []
    frames.feed(proto, frames.response_done("resp_1"))
    assert frames.loads(proto.data_to_send()) == [
        {
            "type": "response.create",
            "response": {"instructions": "Greet", "conversation": "none"},
            "event_id": "realtime_agents_response_create_1",
        }
    ]
    frames.feed(proto, frames.response_created("resp_2"))
    frames.feed(proto, frames.response_done("resp_2"))
    assert frames.loads(proto.data_to_send()) == [
        {"type": "response.create", "event_id": "mine", "response": {"instructions": "Bye"}}
    ]


def test_override_request_stays_distinct_from_auto_follow_up(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    proto.send_message("a")
    proto.request_response({"instructions": "override"})
    proto.send_message("b")
    proto.data_to_send()
    bodies = []
    for n in range(2, 5):
        frames.feed(proto, frames.response_done(f"resp_{n - 1}"))
        (create,) = frames.loads(proto.data_to_send())
        bodies.append(create.get("response"))
        frames.feed(proto, frames.response_created(f"resp_{n}"))
    assert bodies == [None, {"instructions": "override"}, None]


def test_error_with_matching_event_id_releases(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_raw(
        {"type": "response.create", "event_id": "first", "response": {"instructions": "x"}}
    )
    proto.send_message("next")
    assert sent(proto) == ["response.create", "conversation.item.create"]
    frames.feed(proto, frames.error(code="invalid_value", message="nope", event_id="other"))
    assert sent(proto) == []
    frames.feed(proto, frames.error(code="invalid_value", message="nope", event_id="first"))
    assert sent(proto) == ["response.create"]


@pytest.mark.parametrize(
    ("code", "message"),
    [("invalid_response_create", "x"), (None, "Invalid response.create payload")],
)
def test_error_without_event_id_matched_by_code_or_message(
    proto: OpenAIRealtimeProtocol, code: str | None, message: str
) -> None:
    proto.send_raw({"type": "response.create", "response": {"instructions": "x"}})
    proto.send_message("next")
    proto.data_to_send()
    frames.feed(proto, frames.error(code=code, message=message))
    assert sent(proto) == ["response.create"]


def test_unrelated_error_does_not_release(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_message("a")
    proto.send_message("b")
    proto.data_to_send()
    frames.feed(proto, frames.error(code="invalid_value", message="Unknown parameter"))
    assert sent(proto) == []


def test_coalesced_autos_are_retried_once(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    proto.send_message("a")
    proto.send_message("b")
    frames.feed(proto, frames.response_done("resp_1"))
    (create,) = [e for e in frames.loads(proto.data_to_send()) if e["type"] == "response.create"]
    frames.feed(
        proto,
        frames.error(code="conversation_already_has_active_response", event_id=create["event_id"]),
    )
    (retry,) = frames.loads(proto.data_to_send())
    assert retry["type"] == "response.create"
    assert retry["event_id"] != create["event_id"]
    frames.feed(
        proto,
        frames.error(code="conversation_already_has_active_response", event_id=retry["event_id"]),
    )
    assert proto.data_to_send() == []


def test_failed_manual_create_is_not_retried(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_raw({"type": "response.create", "event_id": "m"})
    proto.data_to_send()
    frames.feed(proto, frames.error(code="x", event_id="m"))
    assert proto.data_to_send() == []


def test_error_after_created_puts_autos_back_for_after_done(proto: OpenAIRealtimeProtocol) -> None:
    """A server VAD response won the race: our create failed although a response started."""
    proto.send_message("a")
    (create,) = [e for e in frames.loads(proto.data_to_send()) if e["type"] == "response.create"]
    frames.feed(proto, frames.response_created("resp_vad"))
    frames.feed(
        proto,
        frames.error(code="conversation_already_has_active_response", event_id=create["event_id"]),
    )
    assert proto.data_to_send() == []
    frames.feed(proto, frames.response_done("resp_vad"))
    assert sent(proto) == ["response.create"]


def test_cancel_only_while_ongoing_and_once(proto: OpenAIRealtimeProtocol) -> None:
    proto.send_raw({"type": "response.cancel"})
    assert sent(proto) == []
    frames.feed(proto, frames.response_created("resp_1"))
    proto.send_raw({"type": "response.cancel"})
    frames.interrupt(proto)
    proto.send_raw({"type": "response.cancel"})
    assert frames.loads(proto.data_to_send()) == [{"type": "response.cancel"}]
    frames.feed(proto, frames.response_done("resp_1", status="cancelled"))
    frames.feed(proto, frames.response_created("resp_2"))
    frames.interrupt(proto)
    assert frames.loads(proto.data_to_send()) == [
        {"type": "response.cancel", "response_id": "resp_2"}
    ]


def test_cancel_response_only_while_ongoing_and_once(proto: OpenAIRealtimeProtocol) -> None:
    proto.cancel_response()
    assert sent(proto) == []
    frames.feed(proto, frames.response_created("resp_1"))
    proto.cancel_response()
    proto.cancel_response()
    proto.cancel_response("resp_1")
    assert frames.loads(proto.data_to_send()) == [
        {"type": "response.cancel", "response_id": "resp_1"}
    ]
    frames.feed(proto, frames.response_done("resp_1", status="cancelled"))
    proto.cancel_response("resp_1")  # over already
    assert sent(proto) == []


def test_cancel_response_by_id(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_2"))
    proto.cancel_response("resp_1")  # not the ongoing one: finished long ago
    assert sent(proto) == []
    proto.cancel_response("resp_2")
    assert frames.loads(proto.data_to_send()) == [
        {"type": "response.cancel", "response_id": "resp_2"}
    ]


def test_cancel_response_when_the_server_gave_no_id(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.frame("response.created", response={"object": "realtime.response"}))
    assert proto.response_ongoing
    proto.cancel_response("resp_x")
    assert frames.loads(proto.data_to_send()) == [
        {"type": "response.cancel", "response_id": "resp_x"}
    ]


def test_cancel_response_drops_later_inline_audio_of_that_response(
    proto: OpenAIRealtimeProtocol,
) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(10)))
    proto.cancel_response()
    assert sent(proto) == ["response.cancel"]  # never a truncate: that is interrupt's job
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(10)))
    assert "audio" not in [name for name, _ in events]
    assert proto.events_received() == []
    frames.feed(proto, frames.response_done("resp_1", status="cancelled"))
    frames.feed(proto, frames.response_created("resp_2"))
    events = frames.feed(proto, frames.audio_delta("resp_2", "item_b", frames.pcm_ms(10)))
    assert [name for name, _ in events][-1] == "audio"


def test_cancel_response_then_request_response(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    proto.cancel_response()
    proto.request_response()
    assert sent(proto) == ["response.cancel"]  # the create waits for the cancelled one to end
    frames.feed(proto, frames.response_done("resp_1", status="cancelled"))
    assert sent(proto) == ["response.create"]


def test_interrupt_without_cancel(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    assert frames.interrupt(proto, cancel_ongoing_response=False) == []
    assert proto.data_to_send() == []


def test_a_new_connection_has_no_waiters(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    proto.send_message("a")
    assert proto._sequencer.pending == 1
    fresh = OpenAIRealtimeProtocol()  # what a transport makes for a reconnect
    sequencer = fresh._sequencer
    assert (sequencer.pending, sequencer.ongoing, fresh.response_ongoing) == (0, False, False)
    assert fresh.data_to_send() == []
    fresh.send_message("b")
    assert sent(fresh) == ["conversation.item.create", "response.create"]


def test_response_done_does_not_answer_a_pending_create() -> None:
    out: list[dict[str, object]] = []
    sequencer = ResponseCreateSequencer(out.append)
    sequencer.request_auto()
    sequencer.on_response_done()  # ends some other response
    assert sequencer.control is ResponseControl.CREATE_REQUESTED
    sequencer.request_auto()
    assert len(out) == 1
    sequencer.on_response_created("resp_1")
    sequencer.on_response_done()
    assert len(out) == 2
