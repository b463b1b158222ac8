import pytest

from realtime_agents.errors import UserError
from realtime_agents.events import AudioInterruptedEvent
from realtime_agents.protocol import OpenAIRealtimeProtocol

from . import frames


@pytest.fixture
def clock() -> frames.Clock:
    return frames.Clock()


@pytest.fixture
def proto(clock: frames.Clock) -> OpenAIRealtimeProtocol:
    return OpenAIRealtimeProtocol(clock=clock)


def start_audio(
    proto: OpenAIRealtimeProtocol, ms: int, item_id: str = "item_a", response_id: str = "resp_1"
) -> None:
    frames.feed(proto, frames.response_created(response_id))
    frames.feed(proto, frames.audio_delta(response_id, item_id, frames.pcm_ms(ms)))
    proto.data_to_send()


def truncates(proto: OpenAIRealtimeProtocol) -> list[tuple[str, int]]:
    return [
        (e["item_id"], e["audio_end_ms"])
        for e in frames.loads(proto.data_to_send())
        if e["type"] == "conversation.item.truncate"
    ]


@pytest.mark.parametrize(
    ("elapsed_ms", "length_ms", "end"), [(42.8, 200, 42), (110.9, 100, 100), (0.9, 100, 0)]
)
def test_truncate_arithmetic(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock, elapsed_ms: float, length_ms: int, end: int
) -> None:
    start_audio(proto, length_ms)
    clock.advance_ms(elapsed_ms)
    events = frames.interrupt(proto)
    assert events == [("audio_interrupted", AudioInterruptedEvent("item_a", 0, end))]
    sent = frames.loads(proto.data_to_send())
    assert sent == [
        {
            "type": "conversation.item.truncate",
            "item_id": "item_a",
            "content_index": 0,
            "audio_end_ms": end,
        },
        {"type": "response.cancel", "response_id": "resp_1"},
    ]
    assert type(sent[0]["audio_end_ms"]) is int


def test_speech_started_during_audio_cancels_and_truncates(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    frames.feed(
        proto,
        frames.session_updated(turn_detection={"type": "server_vad", "interrupt_response": False}),
    )
    start_audio(proto, 500)
    clock.advance_ms(120)
    events = frames.feed(proto, frames.speech_started())
    assert [n for n, _ in events] == ["*", "input_audio_buffer.speech_started", "audio_interrupted"]
    assert events[2][1] == AudioInterruptedEvent("item_a", 0, 120)
    assert frames.types(proto.data_to_send()) == ["conversation.item.truncate", "response.cancel"]


def test_speech_started_with_server_interrupt_response_does_not_cancel(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    frames.feed(proto, frames.session_updated())  # server_vad with interrupt_response: true
    start_audio(proto, 500)
    clock.advance_ms(50)
    frames.feed(proto, frames.speech_started())
    assert frames.types(proto.data_to_send()) == ["conversation.item.truncate"]


def test_speech_started_without_audio_does_nothing(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    assert [n for n, _ in frames.feed(proto, frames.speech_started())] == [
        "*",
        "input_audio_buffer.speech_started",
    ]
    assert proto.data_to_send() == []


def test_after_response_done_no_cancel_but_still_truncates_while_playing(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 1000)
    frames.feed(proto, frames.audio_done("resp_1", "item_a"))
    frames.feed(proto, frames.response_done("resp_1"))
    clock.advance_ms(300)
    frames.feed(proto, frames.speech_started())
    assert truncates(proto) == [("item_a", 300)]


def test_barge_in_after_last_delta_still_truncates(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    """openai-agents-js #1173: all audio sent (output_audio.done) but not yet played."""
    start_audio(proto, 2000)
    frames.feed(proto, frames.audio_done("resp_1", "item_a"))
    clock.advance_ms(700)
    assert proto.audio_playing
    assert frames.interrupt(proto)[0][1] == AudioInterruptedEvent("item_a", 0, 700)
    assert truncates(proto) == [("item_a", 700)]


def test_no_truncate_once_played_out(proto: OpenAIRealtimeProtocol, clock: frames.Clock) -> None:
    start_audio(proto, 100)
    frames.feed(proto, frames.audio_done("resp_1", "item_a"))
    frames.feed(proto, frames.response_done("resp_1"))
    clock.advance_ms(100)
    assert not proto.audio_playing
    assert frames.interrupt(proto) == []
    assert proto.data_to_send() == []


def test_not_done_item_keeps_playing_state(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 100)
    clock.advance_ms(500)  # underrun: all received audio played, more may come
    assert proto.audio_playing
    frames.interrupt(proto, cancel_ongoing_response=False)
    assert truncates(proto) == [("item_a", 100)]


def test_g711_bytes_are_eighth_of_a_millisecond(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    frames.feed(proto, frames.session_updated(output_format={"type": "audio/pcmu"}))
    frames.feed(proto, frames.audio_delta("resp_1", "item_a", b"\xff" * 800))  # 100 ms
    clock.advance_ms(250)
    frames.interrupt(proto)
    assert truncates(proto) == [("item_a", 100)]


def test_later_items_queue_behind_the_playing_one(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 300, item_id="item_1")
    frames.feed(proto, frames.audio_done("resp_1", "item_1"))
    clock.advance_ms(10)
    frames.feed(proto, frames.audio_delta("resp_1", "item_2", frames.pcm_ms(300)))
    clock.advance_ms(100)
    assert frames.interrupt(proto)[0][1] == AudioInterruptedEvent("item_1", 0, 110)
    assert truncates(proto) == [("item_1", 110), ("item_2", 0)]


def test_second_item_playing_after_first_played_out(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 100, item_id="item_1")
    frames.feed(proto, frames.audio_done("resp_1", "item_1"))
    frames.feed(proto, frames.audio_delta("resp_1", "item_2", frames.pcm_ms(300)))
    clock.advance_ms(150)
    frames.interrupt(proto)
    assert truncates(proto) == [("item_2", 50)]


def test_late_audio_of_interrupted_response_is_dropped(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 100)
    clock.advance_ms(20)
    frames.interrupt(proto)
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(100)))
    assert [n for n, _ in events] == ["*", "response.output_audio.delta"]
    assert not proto.audio_playing
    events = frames.feed(proto, frames.audio_delta("resp_2", "item_b", frames.pcm_ms(100)))
    assert [n for n, _ in events][-1] == "audio"


def test_cancelled_response_without_audio_yet_is_dropped(proto: OpenAIRealtimeProtocol) -> None:
    frames.feed(proto, frames.response_created("resp_1"))
    assert frames.interrupt(proto) == []
    assert frames.types(proto.data_to_send()) == ["response.cancel"]
    events = frames.feed(proto, frames.audio_delta("resp_1", "item_a", frames.pcm_ms(100)))
    assert "audio" not in [n for n, _ in events]


def test_a_new_connection_has_nothing_to_interrupt(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 100)
    fresh = OpenAIRealtimeProtocol(clock=clock)  # what a transport makes for a reconnect
    assert not fresh.audio_playing
    assert frames.interrupt(fresh) == []
    assert fresh.data_to_send() == []
    assert proto.audio_playing  # the old object is simply dropped, not reset


# -- playback reported by the app ---------------------------------------------------------


def test_reported_playback_replaces_wall_clock(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 1000)
    proto.on_played("item_a", ms=250.7)
    clock.advance_ms(900)
    assert frames.interrupt(proto)[0][1] == AudioInterruptedEvent("item_a", 0, 250)
    assert truncates(proto) == [("item_a", 250)]


def test_reported_playback_in_bytes_and_monotonic(proto: OpenAIRealtimeProtocol) -> None:
    start_audio(proto, 1000)
    proto.on_played("item_a", bytes=48 * 400)
    proto.on_played("item_a", ms=100)  # stale report: positions only move forward
    frames.interrupt(proto)
    assert truncates(proto) == [("item_a", 400)]


def test_reported_positions_are_clamped_to_received_audio(proto: OpenAIRealtimeProtocol) -> None:
    start_audio(proto, 100)
    proto.on_played("item_a", ms=5000)
    frames.interrupt(proto)
    assert truncates(proto) == [("item_a", 100)]


def test_unreported_items_count_as_unheard(
    proto: OpenAIRealtimeProtocol, clock: frames.Clock
) -> None:
    start_audio(proto, 100, item_id="item_1")
    proto.on_played("item_1", ms=100)
    frames.feed(proto, frames.audio_done("resp_1", "item_1"))  # played to the end: forgotten
    frames.feed(proto, frames.audio_delta("resp_1", "item_2", frames.pcm_ms(300)))
    clock.advance_ms(5000)
    frames.interrupt(proto)
    assert truncates(proto) == [("item_2", 0)]


def test_reported_played_to_end_means_nothing_to_interrupt(proto: OpenAIRealtimeProtocol) -> None:
    start_audio(proto, 100)
    frames.feed(proto, frames.audio_done("resp_1", "item_a"))
    playing_before = proto.audio_playing
    proto.on_played("item_a", ms=100)
    assert playing_before
    assert not proto.audio_playing
    assert frames.interrupt(proto) == []


@pytest.mark.parametrize(
    "kwargs", [{}, {"ms": 1, "bytes": 2}, {"ms": -1}, {"ms": float("nan")}, {"ms": float("inf")}]
)
def test_on_played_validation(proto: OpenAIRealtimeProtocol, kwargs: dict[str, float]) -> None:
    with pytest.raises(UserError):
        proto.on_played("item_a", **kwargs)  # type: ignore[arg-type]


def test_on_played_for_unknown_item_is_ignored(proto: OpenAIRealtimeProtocol) -> None:
    proto.on_played("nope", ms=10)
    assert frames.interrupt(proto) == []


def test_current_item(clock: frames.Clock) -> None:
    proto = OpenAIRealtimeProtocol(clock=clock)
    assert proto._playback.current() is None
    start_audio(proto, 100)
    assert proto._playback.current() == ("item_a", 0)
