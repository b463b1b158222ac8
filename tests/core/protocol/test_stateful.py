"""Hypothesis drives the protocol with random interleavings of server frames and client intents.

The test plays a GA server (frames shaped as realtime-protocol.md §3/§6) and checks, after
every step, what the protocol sends and publishes. It runs once per media mode: *inline*
(audio in deltas, WebSocket) and *track* (audio on a media track, WebRTC/SIP). Both modes:

* at most one ``response.create`` in flight: one is sent only when every earlier create was
  answered (``response.created`` or an ``error`` naming it) and no response is ongoing;
* ``response.cancel`` only while a response is ongoing, at most once per response;
* every completed function call yields exactly one ``function_call`` event;
* the published events follow the frames: each frame's events start with its ``*`` event,
  also when several frames are drained at once, and intents never publish server events;
* a ``speech_started`` never draws a ``response.cancel`` when the server cancels by itself.

Inline: ``conversation.item.truncate``'s ``audio_end_ms`` is an ``int`` in [0, audio received],
and no ``audio`` is published for a response after it was interrupted. Track: never a
``conversation.item.truncate``; ``audio_playing`` follows ``output_audio_buffer.*``; a barge-in
sends ``output_audio_buffer.clear`` (unless the server clears by itself) and publishes one
``audio_interrupted`` exactly when audio played or a response not yet cancelled was ongoing.
"""

from __future__ import annotations

import collections
import json
import math
from collections.abc import Callable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from realtime_agents.events import (
    AudioEvent,
    AudioInterruptedEvent,
    FunctionCallEvent,
    ServerEvent,
)
from realtime_agents.protocol import SERVER_EVENT_TYPES, MediaMode, OpenAIRealtimeProtocol

from . import frames

FORMATS: dict[str, tuple[dict[str, Any], int]] = {
    "pcm": ({"type": "audio/pcm", "rate": 24000}, 48),
    "pcmu": ({"type": "audio/pcmu"}, 8),
}


class ProtocolMachine(RuleBasedStateMachine):
    media: MediaMode = "inline"

    def __init__(self) -> None:
        super().__init__()
        self.clock = frames.Clock()
        self.proto = OpenAIRealtimeProtocol(clock=self.clock, media=self.media)
        self.track = self.media == "track"
        self.ids = 0
        self.format: dict[str, Any] = FORMATS["pcm"][0]
        self.bytes_per_ms = 48
        self.interrupt_response = False
        self.fed_types: list[str] = []
        self.star_types: list[str] = []
        self._forget_connection()

    def _forget_connection(self) -> None:
        self.in_flight: list[str] = []  # event ids of creates awaiting an answer
        self.ongoing: str | None = None
        self.cancelled: set[str] = set()
        self.audio_item: str | None = None
        self.item_response: dict[str, str] = {}
        self.received_ms: collections.defaultdict[str, float] = collections.defaultdict(float)
        self.discarded: set[str] = set()
        self.calls: dict[str, dict[str, Any]] = {}  # call_id -> item, for calls not finished
        self.carriers: dict[str, set[str]] = collections.defaultdict(set)
        self.completed: set[str] = set()
        self.call_events: collections.Counter[str] = collections.Counter()
        self.answerable: list[FunctionCallEvent] = []
        self.buffer_playing = False  # track: between output_audio_buffer.started and its end
        self.interruptions = 0  # audio_interrupted events published

    def _id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}_{self.ids}"

    # -- plumbing -------------------------------------------------------------------------

    def feed(self, *frames_: str | bytes) -> list[str]:
        """Give the protocol frames, then drain once; return the client event types sent."""
        for frame in frames_:
            self.proto.receive_frame(frame)
        events = self.proto.events_received()
        parsed = [_server_event(frame) for frame in frames_]
        if len(frames_) > 1:
            assert all(p is not None for p in parsed), "only server events are fed in bursts"
        for event in parsed:
            if event is not None:
                self.fed_types.append(event["type"])
        if parsed == [None]:
            # Not a server event: never published as one; one error says it was ignored.
            assert [name for name, _ in events] == ["error"]
        else:
            self.check_frame_events(parsed, events)
        for name, payload in events:
            if name == "*":
                assert isinstance(payload, ServerEvent)
                self.star_types.append(payload.type)
        self.observe([pair for pair in events if pair[0] != "*"])
        return self.drain()

    def check_frame_events(
        self, parsed: list[dict[str, Any] | None], events: list[tuple[str, object]]
    ) -> None:
        """Each frame's events start with its ``*`` (then its own type), in frame order."""
        starts = [i for i, (name, _) in enumerate(events) if name == "*"]
        assert len(starts) == len(parsed)
        assert starts[:1] == [0]
        for start, event in zip(starts, parsed, strict=True):
            assert event is not None
            star = events[start][1]
            assert isinstance(star, ServerEvent)
            assert star.data == event
            if event["type"] in SERVER_EVENT_TYPES - {"error"}:
                assert events[start + 1][0] in (event["type"], "error")

    def observe(self, events: list[tuple[str, object]]) -> None:
        for name, payload in events:
            assert name != "*"
            if name == "audio":
                assert isinstance(payload, AudioEvent)
                assert payload.response_id not in self.discarded
                assert payload.item_id is not None
                self.received_ms[payload.item_id] += len(payload.data) / self.bytes_per_ms
            elif name == "audio_interrupted":
                assert isinstance(payload, AudioInterruptedEvent)
                self.interruptions += 1
                if self.track:
                    assert payload.audio_end_ms is None
            elif name == "function_call":
                assert isinstance(payload, FunctionCallEvent)
                self.call_events[payload.call_id] += 1
                assert payload.response_id is not None
                self.answerable.append(payload)

    def drain(self) -> list[str]:
        sent = []
        for text in self.proto.data_to_send():
            event = json.loads(text)
            kind = event["type"]
            sent.append(kind)
            if kind == "response.create":
                assert not self.in_flight, "a second response.create while one is in flight"
                assert self.ongoing is None, "response.create while a response is ongoing"
                assert isinstance(event.get("event_id"), str)
                self.in_flight.append(event["event_id"])
            elif kind == "response.cancel":
                assert self.ongoing is not None, "response.cancel with no response ongoing"
                assert self.ongoing not in self.cancelled, "duplicate response.cancel"
                self.cancelled.add(self.ongoing)
                if not self.track:
                    self.discarded.add(self.ongoing)
            elif kind == "conversation.item.truncate":
                assert not self.track, "a truncate with track media: the server owns playback"
                end = event["audio_end_ms"]
                assert type(end) is int
                assert 0 <= end <= math.floor(self.received_ms[event["item_id"]] + 1e-9)
                self.discarded.add(self.item_response[event["item_id"]])
            elif kind == "output_audio_buffer.clear":
                assert self.track, "output_audio_buffer.clear with inline media"
        return sent

    def interrupted(self, action: Callable[[], list[str]], *, expected: bool | None) -> list[str]:
        """Run a barge-in; check one ``audio_interrupted`` iff ``expected`` (None: unknown)."""
        before = self.interruptions
        sent = action()
        if expected is not None:
            assert self.interruptions - before == int(expected)
        assert self.interruptions - before <= 1
        if self.track:
            self.buffer_playing = False
        return sent

    def stoppable(self) -> bool:
        """Track: whether a barge-in has something to stop (and so publishes)."""
        return self.buffer_playing or (
            self.ongoing is not None and self.ongoing not in self.cancelled
        )

    @invariant()
    def ongoing_matches(self) -> None:
        assert self.proto.response_ongoing == (self.ongoing is not None)

    @invariant()
    def audio_playing_follows_the_buffer(self) -> None:
        if self.track:
            assert self.proto.audio_playing == self.buffer_playing

    @invariant()
    def events_follow_frames(self) -> None:
        assert self.star_types == self.fed_types

    @invariant()
    def each_completed_call_published_once(self) -> None:
        assert all(count == 1 for count in self.call_events.values())
        assert set(self.call_events) == self.completed

    # -- setup ----------------------------------------------------------------------------

    @initialize(fmt=st.sampled_from(sorted(FORMATS)), interrupt_response=st.booleans())
    def connect(self, fmt: str, interrupt_response: bool) -> None:
        self.format, self.bytes_per_ms = FORMATS[fmt]
        self.interrupt_response = interrupt_response
        self.proto.session_update({"audio": {"output": {"format": self.format}}})
        self._session_created()

    def _session_created(self) -> None:
        detection = {"type": "server_vad", "interrupt_response": self.interrupt_response}
        self.feed(frames.session_created(output_format=self.format, turn_detection=detection))

    # -- server ---------------------------------------------------------------------------

    @precondition(lambda self: self.in_flight)
    @rule(ok=st.booleans())
    def server_answers_create(self, ok: bool) -> None:
        event_id = self.in_flight.pop(0)
        if ok and self.ongoing is None:
            self.ongoing = self._id("resp")
            self.feed(frames.response_created(self.ongoing))
        else:
            code = "conversation_already_has_active_response"
            self.feed(frames.error(code=code, message="busy", event_id=event_id))

    @precondition(lambda self: not self.in_flight and self.ongoing is None)
    @rule()
    def server_vad_response(self) -> None:
        self.ongoing = self._id("resp")
        self.feed(frames.response_created(self.ongoing))

    @precondition(lambda self: self.ongoing is not None)
    @rule(ms=st.lists(st.integers(1, 200), min_size=1, max_size=4), stray=st.booleans())
    def server_audio(self, ms: list[int], stray: bool) -> None:
        """Inline: audio deltas. Track: the part is announced and the buffer starts playing;
        ``stray`` deltas (which track media does not expect) may come as well."""
        assert self.ongoing is not None
        if self.audio_item is None:
            self.audio_item = self._id("item")
            self.item_response[self.audio_item] = self.ongoing
            item = frames.assistant_item(self.audio_item)
            self.feed(
                frames.output_item_added(self.ongoing, item),
                frames.content_part_added(self.ongoing, self.audio_item),
            )
        if self.track and not self.buffer_playing:
            self.feed(frames.output_audio_buffer("started", self.ongoing))
            self.buffer_playing = True
        if self.track and not stray:
            return
        deltas = [
            frames.audio_delta(self.ongoing, self.audio_item, b"\x00" * (n * self.bytes_per_ms))
            for n in ms
        ]
        self.feed(*deltas)

    @precondition(lambda self: self.track)
    @rule(kind=st.sampled_from(["stopped", "cleared"]))
    def server_buffer_ends(self, kind: str) -> None:
        """The buffer drained (after a response) or was cleared (on request, or by VAD)."""
        self.feed(frames.output_audio_buffer(kind, self.ongoing or "resp_0"))
        self.buffer_playing = False

    @precondition(lambda self: self.audio_item is not None)
    @rule()
    def server_audio_done(self) -> None:
        assert self.ongoing is not None
        assert self.audio_item is not None
        self.feed(frames.audio_done(self.ongoing, self.audio_item))
        self.audio_item = None

    @precondition(lambda self: self.ongoing is not None)
    @rule()
    def server_function_call_starts(self) -> None:
        assert self.ongoing is not None
        call_id, item_id = self._id("call"), self._id("item")
        item = frames.function_call_item(item_id, call_id, status="in_progress")
        self.calls[call_id] = {"item": item, "response_id": self.ongoing}
        self.feed(frames.output_item_added(self.ongoing, item))
        self.feed(frames.item_added(item))

    @precondition(lambda self: self.calls)
    @rule(
        data=st.data(),
        carrier=st.sampled_from(["response.output_item.done", "conversation.item.done"]),
    )
    def server_function_call_completes(self, data: st.DataObject, carrier: str) -> None:
        call_id = data.draw(st.sampled_from(sorted(self.calls)))
        if carrier in self.carriers[call_id]:
            return
        self.carriers[call_id].add(carrier)
        call = self.calls[call_id]
        done = frames.function_call_item(call["item"]["id"], call_id)
        self.completed.add(call_id)
        if carrier == "conversation.item.done":
            self.feed(frames.item_done(done))
        else:
            self.feed(frames.output_item_done(call["response_id"], done))

    @precondition(lambda self: self.ongoing is not None)
    @rule(status=st.sampled_from(["completed", "cancelled"]))
    def server_response_done(self, status: str) -> None:
        response_id, self.ongoing = self.ongoing, None
        assert response_id is not None
        self.audio_item = None
        self.calls.clear()  # a response's calls are finished (or abandoned) when it is done
        # The model is updated first: the protocol may send a held create while handling it.
        self.feed(frames.response_done(response_id, status=status, usage=frames.usage()))

    @precondition(lambda self: self.audio_item is not None or self.buffer_playing)
    @rule(ms=st.floats(0, 300))
    def user_barges_in(self, ms: float) -> None:
        self.clock.advance_ms(ms)
        self.speech_started()

    def speech_started(self) -> None:
        expected = None
        if self.track:
            expected = self.buffer_playing if self.interrupt_response else self.stoppable()
        sent = self.interrupted(lambda: self.feed(frames.speech_started()), expected=expected)
        if self.interrupt_response:
            # The server cancels (and, with track media, clears) by itself.
            assert "response.cancel" not in sent
            assert "output_audio_buffer.clear" not in sent
        elif self.track:
            assert sent.count("output_audio_buffer.clear") == 1

    NOISE = (
        b"\x00\x01",
        "not json",
        '{"type": "future.event"}',
        '{"type": "response.output_audio.delta"}',
        '{"type": "conversation.item.done", "item": 3}',
        frames.frame("rate_limits.updated", rate_limits=[]),
        frames.frame("conversation.item.truncated", item_id="x", content_index=0, audio_end_ms=0),
    )

    @rule(
        kind=st.sampled_from(
            [
                "speech_started",
                "noise",
                "cancel",
                "cancel_response",
                "interrupt",
                "interrupt_no_cancel",
                "reconnect",
            ]
        ),
        noise=st.sampled_from(NOISE),
        cancelled=st.sampled_from(["ongoing", "unnamed", "stale"]),
    )
    def disruption(self, kind: str, noise: str | bytes, cancelled: str) -> None:
        """Barge-ins, cancels, garbage and reconnects share one rule: they stay occasional."""
        if kind == "speech_started":
            self.speech_started()
        elif kind == "noise":
            self.feed(noise)
        elif kind == "cancel":
            self.proto.send_raw({"type": "response.cancel"})
            self.drain_intent()
        elif kind == "cancel_response":
            response_id = {"ongoing": self.ongoing, "unnamed": None, "stale": "resp_0"}[cancelled]
            self.proto.cancel_response(response_id)
            self.drain_intent()
        elif kind.startswith("interrupt"):
            cancel = kind == "interrupt"
            expected = self.stoppable() if self.track else None
            sent = self.interrupted(lambda: self.interrupt(cancel), expected=expected)
            if self.track:
                assert sent.count("output_audio_buffer.clear") == 1
        else:
            # A new connection is a new protocol object: nothing carries over.
            self.proto = OpenAIRealtimeProtocol(clock=self.clock, media=self.media)
            self._forget_connection()
            self.proto.session_update({"audio": {"output": {"format": self.format}}})
            self._session_created()

    def interrupt(self, cancel: bool) -> list[str]:
        self.proto.interrupt(cancel_ongoing_response=cancel)
        return self.drain_intent()

    def drain_intent(self) -> list[str]:
        """After an intent: its events (never server events) and its client events."""
        events = self.proto.events_received()
        assert all(not isinstance(payload, ServerEvent) for _, payload in events)
        self.observe(events)
        return self.drain()

    @rule(ms=st.floats(0, 500))
    def time_passes(self, ms: float) -> None:
        self.clock.advance_ms(ms)

    # -- client ---------------------------------------------------------------------------

    @rule(trigger=st.booleans())
    def client_sends_message(self, trigger: bool) -> None:
        self.proto.send_message("hello", trigger_response=trigger)
        self.drain_intent()

    @rule(manual=st.booleans())
    def client_requests_response(self, manual: bool) -> None:
        if manual:
            self.proto.send_raw({"type": "response.create", "response": {"instructions": "hi"}})
        else:
            self.proto.request_response()
        self.drain_intent()

    @precondition(lambda self: self.answerable)
    @rule(start_response=st.booleans())
    def client_answers_call(self, start_response: bool) -> None:
        call = self.answerable.pop(0)
        self.proto.send_function_call_output(call, "42", start_response)
        self.drain_intent()

    @precondition(lambda self: self.received_ms)
    @rule(data=st.data(), ms=st.floats(0, 1000))
    def client_reports_playback(self, data: st.DataObject, ms: float) -> None:
        item_id = data.draw(st.sampled_from(sorted(self.received_ms)))
        self.proto.on_played(item_id, ms=ms)


class TrackProtocolMachine(ProtocolMachine):
    media: MediaMode = "track"


def _server_event(frame: str | bytes) -> dict[str, Any] | None:
    """The frame as a server event (a JSON object with a string ``type``), else None."""
    if not isinstance(frame, str):
        return None
    try:
        event = json.loads(frame)
    except ValueError:
        return None
    if isinstance(event, dict) and isinstance(event.get("type"), str):
        return event
    return None


ProtocolMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None
)
TrackProtocolMachine.TestCase.settings = ProtocolMachine.TestCase.settings
TestProtocolMachine = ProtocolMachine.TestCase
TestTrackProtocolMachine = TrackProtocolMachine.TestCase
