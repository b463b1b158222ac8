import json
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from realtime_agents.events import (
    AudioDoneEvent,
    AudioEvent,
    ErrorEvent,
    FunctionCallEvent,
    InputAudioTranscriptionEvent,
    ItemDeletedEvent,
    McpToolsListedEvent,
    OutputTextDeltaEvent,
    ServerEvent,
    TranscriptDeltaEvent,
    TurnDoneEvent,
    TurnStartedEvent,
    Usage,
)
from realtime_agents.items import (
    AssistantMessageItem,
    FunctionCallItem,
    McpApprovalRequestItem,
    McpCallItem,
    OutputAudio,
    OutputText,
    UserMessageItem,
)
from realtime_agents.protocol import (
    SERVER_EVENT_TYPES,
    MalformedServerEventError,
    OddAudioDeltaError,
    OpenAIRealtimeProtocol,
    UnreadableFrameError,
)

from . import frames


@pytest.fixture
def clock() -> frames.Clock:
    return frames.Clock()


@pytest.fixture
def proto(clock: frames.Clock) -> OpenAIRealtimeProtocol:
    return OpenAIRealtimeProtocol(clock=clock)


def names(events: list[tuple[str, object]]) -> list[str]:
    return [name for name, _ in events]


def derived(events: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The events after ``*`` and the per-type re-emit."""
    return [(n, p) for n, p in events if n != "*" and not isinstance(p, ServerEvent)]


# -- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        b'{"type":"session.created"}',
        "not json",
        "{",
        "[1,2]",
        "null",
        '"str"',
        '{"no":"type"}',
        '{"type":7}',
    ],
)
def test_unusable_frames_are_ignored(proto: OpenAIRealtimeProtocol, frame: str | bytes) -> None:
    """Never published as server events (no ``*``); one ``error`` says what was ignored."""
    events = frames.feed(proto, frame)
    assert [name for name, _ in events] == ["error"]
    error = events[0][1]
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, UnreadableFrameError)
    assert str(error.error).startswith("ignored a server frame: ")
    assert proto.data_to_send() == []


def test_unreadable_frame_message_is_bounded(proto: OpenAIRealtimeProtocol) -> None:
    [(_, error)] = frames.feed(proto, "x" * 10_000)
    assert isinstance(error, ErrorEvent)
    assert len(str(error.error)) < 200


def test_unknown_type_only_on_star_with_all_fields(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, '{"type":"future.event","a":{"b":[1,2]},"c":null}')
    assert events == [
        ("*", ServerEvent("future.event", {"type": "future.event", "a": {"b": [1, 2]}, "c": None}))
    ]


def test_known_event_keeps_unknown_fields_and_star_is_a_copy(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, frames.frame("rate_limits.updated", rate_limits=[], extra={"x": 1}))
    assert names(events) == ["*", "rate_limits.updated"]
    star, typed = events[0][1], events[1][1]
    assert isinstance(star, ServerEvent)
    assert isinstance(typed, ServerEvent)
    assert star.data == typed.data
    assert star.data["extra"] == {"x": 1}
    star.data["extra"]["x"] = 2
    assert typed.data["extra"] == {"x": 1}


def test_every_ga_server_event_is_reemitted_under_its_type() -> None:
    assert len(SERVER_EVENT_TYPES) == 46
    for event_type in SERVER_EVENT_TYPES - {"error"}:
        events = frames.feed(OpenAIRealtimeProtocol(), json.dumps({"type": event_type}))
        assert names(events)[:2] in (["*", event_type], ["*", "error"]), event_type


def test_wants_skips_unwanted_payloads() -> None:
    proto = OpenAIRealtimeProtocol(wants=lambda name: name == "turn_started")
    assert names(frames.feed(proto, frames.response_created("resp_1"))) == ["turn_started"]
    assert proto.response_ongoing  # state changes regardless of listeners
    proto.wants = lambda name: False
    assert frames.feed(proto, frames.frame("rate_limits.updated", rate_limits=[])) == []
    proto.wants = None  # everything, again
    assert names(frames.feed(proto, frames.frame("rate_limits.updated", rate_limits=[]))) == [
        "*",
        "rate_limits.updated",
    ]


def test_wants_applies_to_events_of_intents(clock: frames.Clock) -> None:
    proto = OpenAIRealtimeProtocol(clock=clock, wants=lambda name: name != "audio_interrupted")
    frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(100)))
    assert frames.interrupt(proto) == []
    assert frames.types(proto.data_to_send()) == ["conversation.item.truncate"]


def test_audio_delta_events(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", b"\x01\x02" * 480))
    assert names(events) == ["*", "response.output_audio.delta", "audio"]
    assert events[2][1] == AudioEvent(b"\x01\x02" * 480, "resp_1", "item_a", 0)


def test_audio_delta_tracked_even_when_nobody_listens(proto: OpenAIRealtimeProtocol) -> None:
    proto.wants = lambda name: False
    assert frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(100))) == []
    assert proto.audio_playing
    assert proto._playback.received_ms("item_a") == 100.0


@pytest.mark.parametrize("media", ["inline", "track"])
@pytest.mark.parametrize("delta", ["@@@@", "AAAA####AAAA", "AAA", "AAAA=AAA", "AA==AA==", " AAAA"])
@pytest.mark.parametrize("listening", [True, False])
def test_audio_delta_that_is_not_strict_base64_is_an_error_and_no_audio(
    delta: str, media: Any, listening: bool
) -> None:
    # Lenient decoding made "@@@@" 0 bytes and "AAAA####AAAA" 6 bytes of silent junk audio.
    proto = OpenAIRealtimeProtocol(media=media)
    if not listening:
        proto.wants = lambda name: name == "error"
    frame = json.dumps(
        {
            "type": "response.output_audio.delta",
            "response_id": "r",
            "item_id": "i",
            "output_index": 0,
            "content_index": 0,
            "delta": delta,
        }
    )
    events = [(n, p) for n, p in frames.feed(proto, frame) if n in ("audio", "error")]
    assert [n for n, _ in events] == ["error"]
    error = events[0][1]
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, MalformedServerEventError)
    assert "delta is not valid base64" in str(error.error)
    assert not proto.audio_playing


@pytest.mark.parametrize("media", ["inline", "track"])
def test_odd_length_pcm16_delta_is_delivered_and_flagged_once_per_item(media: Any) -> None:
    proto = OpenAIRealtimeProtocol(media=media)
    first = frames.feed(proto, frames.audio_delta("resp_1", "item_a", b"\x01\x02\x03"))
    again = frames.feed(proto, frames.audio_delta("resp_1", "item_a", b"\x04"))
    assert [n for n, _ in derived(first)] == ["error", "audio"]  # the flag, then the audio
    assert derived(first)[1][1] == AudioEvent(b"\x01\x02\x03", "resp_1", "item_a", 0)
    error = derived(first)[0][1]
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, OddAudioDeltaError)
    assert "odd length (3 bytes)" in str(error.error)
    assert [n for n, _ in derived(again)] == ["audio"]  # flagged once per item
    other = frames.feed(proto, frames.audio_delta("resp_1", "item_b", b"\x01"))
    assert [n for n, _ in derived(other)] == ["error", "audio"]


def test_odd_length_is_fine_for_g711(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.session_updated(output_format={"type": "audio/pcmu"}))
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", b"\x01\x02\x03"))
    assert [n for n, _ in derived(events)] == ["audio"]


KEY = "custom-secret-that-matches-no-key-pattern-0123456789"


@pytest.mark.parametrize("where", [0, 60, 75, 78, 5000])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_quoted_frame_never_shows_the_key(where: int, as_bytes: bool) -> None:
    # The quote is cut at 80 characters: a key straddling the cut must not leave a fragment.
    proto = OpenAIRealtimeProtocol(secret=KEY)
    text = "x" * where + KEY + " and sk-proj-abcdefghijklmnop1234 too"
    frame: str | bytes = text.encode() if as_bytes else text
    [(_, error)] = frames.feed(proto, frame)
    assert isinstance(error, ErrorEvent)
    message = str(error.error)
    for fragment in (KEY[:12], KEY[-12:], "abcdefghijklmnop"):
        assert fragment not in message
    assert message.startswith("ignored a server frame: ")


def test_a_server_error_quoting_the_key_is_redacted() -> None:
    proto = OpenAIRealtimeProtocol(secret=KEY)
    frame = frames.error(code="invalid_api_key", message=f"Incorrect API key provided: {KEY}.")
    (error,) = [p for n, p in frames.feed(proto, frame) if n == "error"]
    assert isinstance(error, ErrorEvent)
    assert KEY not in repr(error)
    assert KEY[-12:] not in repr(error)
    assert "Incorrect API key provided" in repr(error)


# -- the mapping table --------------------------------------------------------------------


def test_error_event(proto: OpenAIRealtimeProtocol) -> None:
    frame = frames.error(code="invalid_value", message="bad")
    events = frames.feed(proto, frame)
    assert events == [
        ("*", ServerEvent("error", json.loads(frame))),
        ("error", ErrorEvent(json.loads(frame))),
    ]


def test_response_created_gives_turn_started(proto: OpenAIRealtimeProtocol) -> None:
    frame = frames.response_created("resp_1")
    events = frames.feed(proto, frame)
    assert names(events) == ["*", "response.created", "turn_started"]
    started = events[2][1]
    assert isinstance(started, TurnStartedEvent)
    assert started.provider_data == json.loads(frame)
    assert started.response_id == "resp_1"


def test_response_done_gives_usage_then_turn_done(proto: OpenAIRealtimeProtocol) -> None:
    output = [
        frames.assistant_item(
            "item_a", status="completed", content=[{"type": "output_text", "text": "hi"}]
        )
    ]
    events = frames.feed(
        proto, frames.response_done("resp_1", output=output, usage=frames.usage(10, 20))
    )
    assert derived(events) == [
        (
            "usage_update",
            Usage(
                requests=1,
                input_tokens=10,
                output_tokens=20,
                total_tokens=30,
                input_tokens_details={"text_tokens": 10, "audio_tokens": 0, "cached_tokens": 0},
                output_tokens_details={"text_tokens": 5, "audio_tokens": 15},
            ),
        ),
        ("turn_done", TurnDoneEvent(events[3][1].response)),  # type: ignore[attr-defined]
    ]
    turn = events[3][1]
    assert isinstance(turn, TurnDoneEvent)
    assert (turn.response.id, turn.response.output, turn.response.status) == (
        "resp_1",
        (AssistantMessageItem("item_a", (OutputText("hi"),), "completed"),),
        "completed",
    )
    assert turn.response.usage.total_tokens == 30
    assert (
        turn.response.provider_data
        == json.loads(frames.response_done("resp_1", output=output, usage=frames.usage(10, 20)))[
            "response"
        ]
    )


def test_turn_done_output_is_typed_items_with_final_statuses(
    proto: OpenAIRealtimeProtocol,
) -> None:
    output: list[dict[str, Any]] = [
        frames.assistant_item("a", status=None, content=[{"type": "audio", "transcript": "hi"}]),
        frames.function_call_item("f", "call_1"),
        {**frames.function_call_item("g", "call_2"), "status": "incomplete"},
        {"id": "m", "type": "mcp_call", "name": "ask", "arguments": "{}", "output": "42"},
        {"id": "r", "type": "mcp_approval_request", "name": "ask", "arguments": "{}"},
        {"id": "s", "type": "message", "role": "critic", "content": []},
        {"type": "future_item"},
    ]
    events = frames.feed(proto, frames.response_done("resp_1", status="incomplete", output=output))
    turn = events[-1][1]
    assert isinstance(turn, TurnDoneEvent)
    assert turn.response.status == "incomplete"
    assert turn.response.output == (
        AssistantMessageItem("a", (OutputAudio(None, "hi"),), "completed"),
        evolve(TOOL_ITEM, item_id="f", status="completed"),
        evolve(TOOL_ITEM, item_id="g", call_id="call_2", status="incomplete"),
        McpCallItem("m", "ask", "{}", "42", "completed"),
    )
    assert turn.response.provider_data is not None
    assert turn.response.provider_data["output"] == output  # everything, raw


@pytest.mark.parametrize(
    "output",
    [[3], [{"type": "message", "role": "assistant"}], [{"type": "function_call", "id": 7}]],
)
def test_unreadable_output_items_make_response_done_an_error(
    proto: OpenAIRealtimeProtocol, output: list[Any]
) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    events = frames.feed(proto, frames.response_done("resp_1", output=output))
    assert names(events) == ["*", "error"]
    assert not proto.response_ongoing  # the response is over whatever its payload says


def test_response_done_without_usage(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, frames.response_done("resp_1", status="cancelled"))
    usage = events[2][1]
    assert usage == Usage(requests=1)
    assert events[3][1].response.status == "cancelled"  # type: ignore[attr-defined]


def test_output_audio_done_gives_audio_done(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, frames.audio_done("resp_1", "item_a"))
    assert derived(events) == [("audio_done", AudioDoneEvent("item_a", "resp_1"))]


def test_item_deleted(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, frames.frame("conversation.item.deleted", item_id="item_x"))
    assert derived(events) == [("item_deleted", ItemDeletedEvent("item_x"))]


TRANSCRIPTION = frames.frame(
    "conversation.item.input_audio_transcription.completed",
    item_id="item_u",
    content_index=0,
    transcript="hello",
    usage={"type": "duration", "seconds": 1.5},
)


def test_input_audio_transcription_is_published_and_the_item_retrieved(
    proto: OpenAIRealtimeProtocol,
) -> None:
    events = frames.feed(proto, TRANSCRIPTION)
    assert derived(events) == [
        (
            "input_audio_transcription",
            InputAudioTranscriptionEvent("item_u", "hello", 0, json.loads(TRANSCRIPTION)),
        )
    ]
    assert frames.loads(proto.data_to_send()) == [
        {"type": "conversation.item.retrieve", "item_id": "item_u"}
    ]
    proto.wants = lambda name: name != "input_audio_transcription"
    assert derived(frames.feed(proto, TRANSCRIPTION)) == []
    assert frames.types(proto.data_to_send()) == ["conversation.item.retrieve"]


def test_input_audio_transcription_of_a_second_audio_part(proto: OpenAIRealtimeProtocol) -> None:
    frame = frames.frame(
        "conversation.item.input_audio_transcription.completed",
        item_id="item_u",
        content_index=1,
        transcript="",
    )
    (pair,) = derived(frames.feed(proto, frame))
    assert pair[1] == InputAudioTranscriptionEvent("item_u", "", 1, json.loads(frame))


@pytest.mark.parametrize(
    "frame",
    [
        frames.frame(
            "conversation.item.truncated", item_id="item_u", content_index=0, audio_end_ms=120
        ),
        frames.frame("response.mcp_call.in_progress", item_id="item_u", output_index=0),
        frames.frame("mcp_list_tools.in_progress", item_id="item_u"),
    ],
)
def test_events_that_retrieve_the_item(proto: OpenAIRealtimeProtocol, frame: str) -> None:
    events = frames.feed(proto, frame)
    assert derived(events) == []
    assert frames.loads(proto.data_to_send()) == [
        {"type": "conversation.item.retrieve", "item_id": "item_u"}
    ]


def test_mcp_list_tools_in_progress_without_item_id(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.frame("mcp_list_tools.in_progress", item_id=""))
    assert proto.data_to_send() == []


def test_transcript_and_text_deltas(proto: OpenAIRealtimeProtocol) -> None:
    events = frames.feed(proto, frames.transcript_delta("resp_1", "item_a", "Hel"))
    assert derived(events) == [
        ("audio_transcript_delta", TranscriptDeltaEvent("item_a", "Hel", "resp_1"))
    ]
    events = frames.feed(proto, frames.text_delta("resp_1", "item_b", "lo"))
    assert derived(events) == [
        ("output_text_delta", OutputTextDeltaEvent("item_b", "lo", "resp_1"))
    ]


@pytest.mark.parametrize(
    "frame",
    [
        frames.frame(
            "conversation.item.input_audio_transcription.delta",
            item_id="i",
            content_index=0,
            delta="he",
        ),
        frames.frame(
            "response.function_call_arguments.delta",
            response_id="r",
            item_id="i",
            output_index=0,
            call_id="c",
            delta="{",
        ),
    ],
)
def test_ignored_deltas(proto: OpenAIRealtimeProtocol, frame: str) -> None:
    assert len(frames.feed(proto, frame)) == 2
    assert proto.data_to_send() == []


@pytest.mark.parametrize(
    ("builder", "status"),
    [(frames.item_added, "in_progress"), (frames.item_done, "completed")],
)
def test_message_item_update_status_default_and_previous_item(
    proto: OpenAIRealtimeProtocol, builder: Any, status: Any
) -> None:
    item = frames.assistant_item(
        "item_a", status=None, content=[{"type": "audio", "transcript": "hi"}]
    )
    events = frames.feed(proto, builder(item, previous_item_id="item_u"))
    assert derived(events) == [
        (
            "item_update",
            AssistantMessageItem("item_a", (OutputAudio(None, "hi"),), status, "item_u"),
        )
    ]


def test_message_own_status_wins_and_retrieved_has_no_previous(
    proto: OpenAIRealtimeProtocol,
) -> None:
    events = frames.feed(
        proto, frames.item_added(frames.user_item("item_u", status="completed"), "p")
    )
    assert derived(events)[0][1].status == "completed"  # type: ignore[attr-defined]
    events = frames.feed(proto, frames.item_retrieved(frames.user_item("item_u", status=None)))
    update = derived(events)[0][1]
    assert isinstance(update, UserMessageItem)
    assert (update.status, update.previous_item_id) == ("completed", None)


def test_mcp_list_tools_done_lists_tools(proto: OpenAIRealtimeProtocol) -> None:
    tools = [{"name": "ask", "description": "Ask", "input_schema": {}}]
    item = {"id": "l", "type": "mcp_list_tools", "server_label": "deepwiki", "tools": tools}
    assert derived(frames.feed(proto, frames.item_added(item))) == []
    assert derived(frames.feed(proto, frames.item_done(item))) == [
        ("mcp_tools_listed", McpToolsListedEvent("deepwiki", tools))
    ]


def test_mcp_approval_request_done(proto: OpenAIRealtimeProtocol) -> None:
    item = {
        "id": "r",
        "type": "mcp_approval_request",
        "server_label": "s",
        "name": "ask",
        "arguments": '{"q":1}',
    }
    assert derived(frames.feed(proto, frames.item_added(item))) == []
    request = McpApprovalRequestItem("r", "s", "ask", {"q": 1})
    assert derived(frames.feed(proto, frames.item_done(item))) == [
        ("item_update", request),
        ("mcp_approval_request", request),
    ]


@pytest.mark.parametrize("kind", ["mcp_call", "mcp_tool_call"])
def test_mcp_call_items(proto: OpenAIRealtimeProtocol, kind: str) -> None:
    item = {
        "id": "m",
        "type": kind,
        "name": "ask",
        "arguments": "{}",
        "server_label": "s",
        "output": None,
    }
    added = derived(frames.feed(proto, frames.item_added(item)))
    assert added == [("item_update", McpCallItem("m", "ask", "{}", None, "in_progress", type=kind))]  # type: ignore[arg-type]
    done = derived(frames.feed(proto, frames.item_done({**item, "output": "42"})))
    call = McpCallItem("m", "ask", "{}", "42", "completed", type=kind)  # type: ignore[arg-type]
    assert done == [("item_update", call), ("mcp_tool_call_completed", call)]
    output_item = derived(
        frames.feed(proto, frames.output_item_done("resp_1", {**item, "output": "42"}))
    )
    assert output_item == [("item_update", call)]


def test_output_item_message(proto: OpenAIRealtimeProtocol) -> None:
    item = frames.assistant_item("a", status=None, content=[{"type": "output_text", "text": "x"}])
    events = derived(frames.feed(proto, frames.output_item_added("resp_1", item)))
    assert events == [("item_update", AssistantMessageItem("a", (OutputText("x"),), "in_progress"))]
    events = derived(frames.feed(proto, frames.output_item_done("resp_1", item)))
    assert events == [("item_update", AssistantMessageItem("a", (OutputText("x"),), "completed"))]


# -- function calls -----------------------------------------------------------------------

FUNCTION_CALL = FunctionCallEvent(
    name="get_weather",
    call_id="call_1",
    arguments='{"city":"Paris"}',
    id="item_f",
    response_id="resp_1",
)
TOOL_ITEM = FunctionCallItem(
    item_id="item_f",
    name="get_weather",
    arguments='{"city":"Paris"}',
    call_id="call_1",
    status="in_progress",
)


def test_function_call_from_output_item_done(proto: OpenAIRealtimeProtocol) -> None:
    pending = frames.function_call_item("item_f", "call_1", status="in_progress")
    assert derived(frames.feed(proto, frames.output_item_added("resp_1", pending))) == []
    assert derived(frames.feed(proto, frames.item_added(pending, "item_u"))) == []
    done = frames.function_call_item("item_f", "call_1")
    events = derived(frames.feed(proto, frames.output_item_done("resp_1", done)))
    assert events == [("item_update", TOOL_ITEM), ("function_call", FUNCTION_CALL)]
    assert derived(frames.feed(proto, frames.item_done(done, "item_u"))) == []


def test_function_call_from_conversation_item_done_first(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(
        proto,
        frames.output_item_added(
            "resp_1", frames.function_call_item("item_f", "call_1", status="in_progress")
        ),
    )
    done = frames.function_call_item("item_f", "call_1")
    events = derived(frames.feed(proto, frames.item_done(done, "item_u")))
    assert events == [
        ("item_update", evolve(TOOL_ITEM, previous_item_id="item_u")),
        ("function_call", evolve(FUNCTION_CALL, previous_item_id="item_u")),
    ]
    assert derived(frames.feed(proto, frames.output_item_done("resp_1", done))) == []


def test_client_created_function_call_items_never_run_tools(proto: OpenAIRealtimeProtocol) -> None:
    done = frames.function_call_item("item_f", "call_1")
    assert derived(frames.feed(proto, frames.item_done(done))) == []


def test_function_call_answered_again_on_a_new_connection(proto: OpenAIRealtimeProtocol) -> None:
    done = frames.function_call_item("item_f", "call_1")
    assert len(derived(frames.feed(proto, frames.output_item_done("resp_1", done)))) == 2
    assert derived(frames.feed(proto, frames.output_item_done("resp_1", done))) == []
    fresh = OpenAIRealtimeProtocol()  # a new connection remembers no answered calls
    assert len(derived(frames.feed(fresh, frames.output_item_done("resp_1", done)))) == 2


# -- malformed known events ---------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "response.output_audio.delta",
            "response_id": "r",
            "item_id": "i",
            "content_index": 0,
            "delta": "AAAAA",
        },
        {
            "type": "response.output_audio.delta",
            "response_id": "r",
            "item_id": 3,
            "content_index": 0,
            "delta": "AA==",
        },
        {"type": "response.output_audio.delta"},
        {"type": "response.created"},
        {"type": "response.done", "response": []},
        {"type": "conversation.item.added", "item": "nope"},
        {
            "type": "conversation.item.done",
            "item": {"type": "mcp_approval_request", "id": "r", "arguments": "{"},
        },
        {"type": "session.created", "session": None},
        {"type": "conversation.item.deleted"},
        {"type": "response.output_text.delta", "item_id": "i", "delta": 5},
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "i",
            "content_index": 0,
            "transcript": None,
        },
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "i",
            "content_index": "0",
            "transcript": "x",
        },
        {"type": "response.done", "response": {"id": "r", "output": {}}},
    ],
)
def test_malformed_known_events_become_errors(
    proto: OpenAIRealtimeProtocol, event: dict[str, Any]
) -> None:
    events = frames.feed(proto, json.dumps(event))
    assert names(events) == ["*", "error"]
    error = events[1][1]
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, MalformedServerEventError)
    assert event["type"] in str(error.error)
    assert proto.data_to_send() == []  # nothing half-done


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="ab=/+", max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "type", "item", "x"]), inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.dictionaries(
    st.sampled_from(
        [
            "item",
            "response",
            "session",
            "item_id",
            "response_id",
            "content_index",
            "delta",
            "error",
            "previous_item_id",
        ]
    ),
    json_values,
    max_size=5,
)


@given(st.sampled_from(sorted(SERVER_EVENT_TYPES)), fields, st.sampled_from(["inline", "track"]))
def test_no_known_event_shape_crashes(event_type: str, body: dict[str, Any], media: Any) -> None:
    proto = OpenAIRealtimeProtocol(clock=frames.Clock(), media=media)
    proto.send_message("x")
    events = frames.feed(proto, json.dumps({**body, "type": event_type}))
    assert events[0][0] == "*"
    frames.interrupt(proto)
    for frame in proto.data_to_send():
        json.loads(frame)


# -- session cache ------------------------------------------------------------------------


def test_session_cache_format_and_interrupt_response(proto: OpenAIRealtimeProtocol) -> None:
    assert (proto.session, proto.interrupt_response) == (None, False)
    assert proto.output_format.to_wire() == {"type": "audio/pcm", "rate": 24000}
    frames.feed(proto, frames.session_updated(output_format={"type": "audio/pcmu"}))
    session: Any = proto.session
    assert session["id"] == "sess_1"
    assert proto.output_format.to_wire() == {"type": "audio/pcmu"}
    interrupt_response = [proto.interrupt_response]
    detection = {"type": "semantic_vad", "interrupt_response": False}
    frames.feed(proto, frames.session_updated(turn_detection=detection))
    interrupt_response.append(proto.interrupt_response)
    assert interrupt_response == [True, False]
    fresh = OpenAIRealtimeProtocol()  # a new connection knows no session yet
    assert (fresh.session, fresh.interrupt_response) == (None, False)
