"""Track media (WebRTC, SIP): the server plays the audio, so barge-in is cancel + clear, never
a truncate (transports-verified.md, "The JS SDK since..."; realtime-protocol.md §2.3)."""

import json
from typing import Any

import pytest

from realtime_agents.errors import UserError
from realtime_agents.events import AudioEvent, AudioInterruptedEvent, ErrorEvent
from realtime_agents.protocol import MalformedServerEventError, OpenAIRealtimeProtocol

from . import frames

CANCEL = {"type": "response.cancel", "response_id": "resp_1"}
CLEAR = {"type": "output_audio_buffer.clear"}


@pytest.fixture
def clock() -> frames.Clock:
    return frames.Clock()


@pytest.fixture
def proto(clock: frames.Clock) -> OpenAIRealtimeProtocol:
    return OpenAIRealtimeProtocol(clock=clock, media="track")


def names(events: list[tuple[str, object]]) -> list[str]:
    return [name for name, _ in events]


def turn_detection(proto: OpenAIRealtimeProtocol, *, interrupt_response: bool) -> None:
    detection = {"type": "server_vad", "interrupt_response": interrupt_response}
    frames.feed(proto, frames.session_updated(turn_detection=detection))
    proto.data_to_send()


def start_playing(proto: OpenAIRealtimeProtocol, item_id: str = "item_a") -> None:
    """A response whose audio part was announced and that the server started playing."""
    frames.feed(proto, frames.response_created("resp_1"))
    frames.feed(proto, frames.output_item_added("resp_1", frames.assistant_item(item_id)))
    frames.feed(proto, frames.content_part_added("resp_1", item_id))
    frames.feed(proto, frames.output_audio_buffer("started", "resp_1"))
    proto.data_to_send()


def test_media_is_inline_by_default_and_read_only() -> None:
    assert OpenAIRealtimeProtocol().media == "inline"
    proto = OpenAIRealtimeProtocol(media="track")
    assert proto.media == "track"
    with pytest.raises(AttributeError):
        proto.media = "inline"  # type: ignore[misc]
    with pytest.raises(UserError, match="media"):
        OpenAIRealtimeProtocol(media="webrtc")  # type: ignore[arg-type]


@pytest.mark.parametrize("end", ["stopped", "cleared"])
def test_buffer_events_drive_audio_playing(proto: OpenAIRealtimeProtocol, end: str) -> None:
    playing = [proto.audio_playing]
    for kind, response_id in [("started", "resp_1"), (end, "resp_1"), ("started", "resp_2")]:
        events = frames.feed(proto, frames.output_audio_buffer(kind, response_id))
        assert names(events) == ["*", f"output_audio_buffer.{kind}"]
        playing.append(proto.audio_playing)
    assert playing == [False, True, False, True]
    assert proto.data_to_send() == []


def test_buffer_events_do_nothing_inline(clock: frames.Clock) -> None:
    proto = OpenAIRealtimeProtocol(clock=clock)
    frames.feed(proto, frames.output_audio_buffer("started", "resp_1"))
    assert not proto.audio_playing


def test_interrupt_cancels_then_clears_and_never_truncates(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_playing(proto)
    clock.advance_ms(300)
    proto.on_played("item_a", ms=100)  # ignored: the server knows what played
    assert frames.interrupt(proto) == [
        ("audio_interrupted", AudioInterruptedEvent("item_a", 0, None))
    ]
    assert frames.loads(proto.data_to_send()) == [CANCEL, CLEAR]
    assert not proto.audio_playing
    # Cancelled once; the clear always goes (the server knows better what still plays).
    assert frames.interrupt(proto) == []
    assert frames.loads(proto.data_to_send()) == [CLEAR]


def test_interrupt_after_response_done_while_the_buffer_drains(
    proto: OpenAIRealtimeProtocol,
) -> None:
    start_playing(proto)
    frames.feed(proto, frames.response_done("resp_1"))
    assert proto.audio_playing
    assert frames.interrupt(proto) == [
        ("audio_interrupted", AudioInterruptedEvent("item_a", 0, None))
    ]
    assert frames.loads(proto.data_to_send()) == [CLEAR]


def test_interrupt_of_an_ongoing_response_before_its_audio_plays(
    proto: OpenAIRealtimeProtocol,
) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    assert frames.interrupt(proto) == [("audio_interrupted", AudioInterruptedEvent())]
    assert frames.loads(proto.data_to_send()) == [CANCEL, CLEAR]


def test_interrupt_names_the_announced_audio_item_before_it_plays(
    proto: OpenAIRealtimeProtocol,
) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    frames.feed(proto, frames.content_part_added("resp_1", "item_t", kind="text"))
    frames.feed(proto, frames.content_part_added("resp_1", "item_a", content_index=1))
    assert frames.interrupt(proto) == [
        ("audio_interrupted", AudioInterruptedEvent("item_a", 1, None))
    ]


def test_interrupt_when_idle_only_clears(proto: OpenAIRealtimeProtocol) -> None:
    assert frames.interrupt(proto) == []
    assert frames.loads(proto.data_to_send()) == [CLEAR]


def test_interrupt_without_cancel(proto: OpenAIRealtimeProtocol) -> None:
    start_playing(proto)
    assert names(frames.interrupt(proto, cancel_ongoing_response=False)) == ["audio_interrupted"]
    assert frames.loads(proto.data_to_send()) == [CLEAR]
    assert proto.response_ongoing


def test_speech_started_with_server_interrupt_response_sends_nothing(
    proto: OpenAIRealtimeProtocol,
) -> None:
    turn_detection(proto, interrupt_response=True)
    start_playing(proto)
    events = frames.feed(proto, frames.speech_started())
    assert events[2:] == [("audio_interrupted", AudioInterruptedEvent("item_a", 0, None))]
    assert proto.data_to_send() == []  # the server cancels and clears by itself
    assert not proto.audio_playing
    # Nothing playing any more (or ever): nothing to tell.
    assert frames.feed(proto, frames.speech_started())[2:] == []
    assert proto.data_to_send() == []


def test_speech_started_without_interrupt_response_is_a_full_interrupt(
    proto: OpenAIRealtimeProtocol,
) -> None:
    turn_detection(proto, interrupt_response=False)
    start_playing(proto)
    events = frames.feed(proto, frames.speech_started())
    assert events[2:] == [("audio_interrupted", AudioInterruptedEvent("item_a", 0, None))]
    assert frames.loads(proto.data_to_send()) == [CANCEL, CLEAR]


def test_speech_started_without_interrupt_response_when_idle(
    proto: OpenAIRealtimeProtocol,
) -> None:
    turn_detection(proto, interrupt_response=False)
    assert frames.feed(proto, frames.speech_started())[2:] == []
    assert frames.loads(proto.data_to_send()) == [CLEAR]


def test_late_audio_deltas_are_published_but_not_tracked(proto: OpenAIRealtimeProtocol) -> None:
    start_playing(proto)
    frames.interrupt(proto)
    proto.data_to_send()
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(100)))
    assert events[2:] == [("audio", AudioEvent(frames.pcm_ms(100), "resp_1", "item_a", 0))]
    assert proto._playback.received_ms("item_a") == 0.0
    assert not proto.audio_playing
    assert frames.interrupt(proto) == []  # audio_interrupted needs a playing buffer
    assert frames.types(proto.data_to_send()) == ["output_audio_buffer.clear"]


def test_cancel_in_track_mode_drops_no_audio(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    proto.send_raw({"type": "response.cancel"})
    assert frames.loads(proto.data_to_send()) == [{"type": "response.cancel"}]
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(10)))
    assert names(events)[-1] == "audio"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "response.content_part.added", "response_id": "r", "item_id": "i"},
        {"type": "response.content_part.added", "item_id": "i", "part": {"type": "audio"}},
        {
            "type": "response.content_part.added",
            "response_id": "r",
            "item_id": "i",
            "content_index": None,
            "part": {"type": "audio"},
        },
        {"type": "response.output_audio.delta", "item_id": "i", "delta": 3},
    ],
)
def test_malformed_track_events_become_errors(
    proto: OpenAIRealtimeProtocol, event: dict[str, Any]
) -> None:
    events = frames.feed(proto, json.dumps(event))
    assert names(events) == ["*", "error"]
    error = events[1][1]
    assert isinstance(error, ErrorEvent)
    assert isinstance(error.error, MalformedServerEventError)
