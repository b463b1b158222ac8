"""Hypothesis drives the protocol with random interleavings of server frames and client intents.

The test plays a GA server (frames shaped as realtime-protocol.md §3/§6) and checks, after
every step, what the protocol sends and publishes:

* at most one ``response.create`` in flight: one is sent only when every earlier create was
  answered (``response.created`` or an ``error`` naming it) and no response is ongoing;
* ``response.cancel`` only while a response is ongoing, at most once per response;
* ``conversation.item.truncate``: ``audio_end_ms`` is an ``int`` in [0, audio received];
* every completed function call yields exactly one ``function_call`` event;
* the published events follow the frames: each frame's events start with its ``*`` event;
* no ``audio`` is published for a response after it was interrupted.
"""

from __future__ import annotations

import collections
import json
import math
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

from realtime_agents.events import AudioEvent, FunctionCallEvent, ServerEvent
from realtime_agents.protocol import SERVER_EVENT_TYPES, OpenAIRealtimeProtocol

from . import frames

FORMATS: dict[str, tuple[dict[str, Any], int]] = {
    "pcm": ({"type": "audio/pcm", "rate": 24000}, 48),
    "pcmu": ({"type": "audio/pcmu"}, 8),
}


class ProtocolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = frames.Clock()
        self.proto = OpenAIRealtimeProtocol(clock=self.clock)
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

    def _id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}_{self.ids}"

    # -- plumbing -------------------------------------------------------------------------

    def feed(self, frame: str | bytes) -> None:
        events = self.proto.receive_frame(frame)
        parsed = None
        if isinstance(frame, str):
            try:
                parsed = json.loads(frame)
            except ValueError:
                parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("type"), str):
            self.fed_types.append(parsed["type"])
            name, star = events[0]
            assert name == "*"
            assert isinstance(star, ServerEvent)
            assert star.data == parsed
            if parsed["type"] in SERVER_EVENT_TYPES - {"error"}:
                assert events[1][0] in (parsed["type"], "error")
        else:
            # Not a server event: never published as one; one error says it was ignored.
            assert [name for name, _ in events] == ["error"]
        for name, payload in events:
            if name == "*":
                assert isinstance(payload, ServerEvent)
                self.star_types.append(payload.type)
        self.observe(events[1:] if events else [])
        self.drain()

    def observe(self, events: list[tuple[str, object]]) -> None:
        for name, payload in events:
            assert name != "*"
            if name == "audio":
                assert isinstance(payload, AudioEvent)
                assert payload.response_id not in self.discarded
                assert payload.item_id is not None
                self.received_ms[payload.item_id] += len(payload.data) / self.bytes_per_ms
            elif name == "function_call":
                assert isinstance(payload, FunctionCallEvent)
                self.call_events[payload.call_id] += 1
                assert payload.response_id is not None
                self.answerable.append(payload)

    def drain(self) -> None:
        for text in self.proto.data_to_send():
            event = json.loads(text)
            kind = event["type"]
            if kind == "response.create":
                assert not self.in_flight, "a second response.create while one is in flight"
                assert self.ongoing is None, "response.create while a response is ongoing"
                assert isinstance(event.get("event_id"), str)
                self.in_flight.append(event["event_id"])
            elif kind == "response.cancel":
                assert self.ongoing is not None, "response.cancel with no response ongoing"
                assert self.ongoing not in self.cancelled, "duplicate response.cancel"
                self.cancelled.add(self.ongoing)
                self.discarded.add(self.ongoing)
            elif kind == "conversation.item.truncate":
                end = event["audio_end_ms"]
                assert type(end) is int
                assert 0 <= end <= math.floor(self.received_ms[event["item_id"]] + 1e-9)
                self.discarded.add(self.item_response[event["item_id"]])

    @invariant()
    def ongoing_matches(self) -> None:
        assert self.proto.response_ongoing == (self.ongoing is not None)

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
    @rule(ms=st.lists(st.integers(1, 200), min_size=1, max_size=4))
    def server_audio(self, ms: list[int]) -> None:
        assert self.ongoing is not None
        if self.audio_item is None:
            self.audio_item = self._id("item")
            self.item_response[self.audio_item] = self.ongoing
            self.feed(
                frames.output_item_added(self.ongoing, frames.assistant_item(self.audio_item))
            )
        for chunk_ms in ms:
            data = b"\x00" * (chunk_ms * self.bytes_per_ms)
            self.feed(frames.audio_delta(self.ongoing, self.audio_item, data))

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

    @precondition(lambda self: self.audio_item is not None)
    @rule(ms=st.floats(0, 300))
    def user_barges_in(self, ms: float) -> None:
        self.clock.advance_ms(ms)
        self.feed(frames.speech_started())

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
            ["speech_started", "noise", "cancel", "interrupt", "interrupt_no_cancel", "reconnect"]
        ),
        noise=st.sampled_from(NOISE),
    )
    def disruption(self, kind: str, noise: str | bytes) -> None:
        """Barge-ins, cancels, garbage and reconnects share one rule: they stay occasional."""
        if kind == "speech_started":
            self.feed(frames.speech_started())
        elif kind == "noise":
            self.feed(noise)
        elif kind == "cancel":
            self.proto.send_raw({"type": "response.cancel"})
            self.drain()
        elif kind.startswith("interrupt"):
            self.observe(self.proto.interrupt(cancel_ongoing_response=kind == "interrupt"))
            self.drain()
        else:
            self.proto.reset()
            self._forget_connection()
            self._session_created()

    @rule(ms=st.floats(0, 500))
    def time_passes(self, ms: float) -> None:
        self.clock.advance_ms(ms)

    # -- client ---------------------------------------------------------------------------

    @rule(trigger=st.booleans())
    def client_sends_message(self, trigger: bool) -> None:
        self.proto.send_message("hello", trigger_response=trigger)
        self.drain()

    @rule(manual=st.booleans())
    def client_requests_response(self, manual: bool) -> None:
        if manual:
            self.proto.send_raw({"type": "response.create", "response": {"instructions": "hi"}})
        else:
            self.proto.request_response()
        self.drain()

    @precondition(lambda self: self.answerable)
    @rule(start_response=st.booleans())
    def client_answers_call(self, start_response: bool) -> None:
        call = self.answerable.pop(0)
        self.observe(self.proto.send_function_call_output(call, "42", start_response))
        self.drain()

    @precondition(lambda self: self.received_ms)
    @rule(data=st.data(), ms=st.floats(0, 1000))
    def client_reports_playback(self, data: st.DataObject, ms: float) -> None:
        item_id = data.draw(st.sampled_from(sorted(self.received_ms)))
        self.proto.on_played(item_id, ms=ms)


ProtocolMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=50, deadline=None
)
TestProtocolMachine = ProtocolMachine.TestCase
