"""The bus: on/off/once, ordering per subscriber, handler failures, coroutine handlers."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_agents import events as events_module
from realtime_agents.bus import EventEmitter, EventNames, signal
from realtime_agents.errors import HandlerError, UserError
from realtime_agents.events import ErrorEvent, RealtimeTransportEventTypes, TransportSubscribe
from realtime_agents.protocol import SERVER_EVENT_TYPES
from realtime_agents.testing import MockRealtimeTransport, ScriptedRealtimeTransport


class Emitter(EventEmitter):
    pass


def test_on_delivers_to_this_sender_only() -> None:
    a, b = Emitter(), Emitter()
    seen: list[object] = []
    a.on("audio", seen.append)
    a.emit("audio", 1)
    b.emit("audio", 2)
    assert seen == [1]


def test_on_returns_handler_for_decorator_use() -> None:
    emitter = Emitter()

    @emitter.on("x")
    def handler(event: object) -> None:
        pass

    assert callable(handler)
    assert emitter.has_listeners("x")


def test_off_removes_one_or_all() -> None:
    emitter = Emitter()
    first: list[object] = []
    second: list[object] = []
    emitter.on("x", first.append)
    emitter.on("x", second.append)
    emitter.off("x", first.append)
    emitter.emit("x", 1)
    emitter.off("x")
    emitter.emit("x", 2)
    assert (first, second) == ([], [1])
    assert not emitter.has_listeners("x")


def test_once_fires_a_single_time() -> None:
    emitter = Emitter()
    seen: list[object] = []
    emitter.once("x", seen.append)
    emitter.emit("x", 1)
    emitter.emit("x", 2)
    assert seen == [1]


def test_handler_exception_becomes_error_event_and_delivery_continues() -> None:
    emitter = Emitter()
    errors: list[ErrorEvent] = []
    seen: list[object] = []

    def broken(event: object) -> None:
        raise ValueError("boom")

    emitter.on("error", errors.append)
    emitter.on("x", broken)
    emitter.on("x", seen.append)
    emitter.emit("x", 1)
    emitter.emit("x", 2)
    assert seen == [1, 2]
    assert len(errors) == 2
    assert isinstance(errors[0].error, HandlerError)
    assert isinstance(errors[0].error.__cause__, ValueError)
    assert "boom" in str(errors[0].error)


def test_failing_error_handler_is_logged_not_looped(caplog: pytest.LogCaptureFixture) -> None:
    emitter = Emitter()

    def broken(event: object) -> None:
        raise RuntimeError("in error handler")

    emitter.on("error", broken)
    emitter.on("x", lambda e: 1 / 0)
    emitter.emit("x", 1)
    assert "error handler" in caplog.text


def test_external_blinker_receivers_see_the_same_signal() -> None:
    emitter = Emitter()
    seen: list[object] = []

    def receiver(sender: object, event: object = None) -> None:
        seen.append((sender, event))

    signal("x").connect(receiver, sender=emitter, weak=False)
    try:
        emitter.emit("x", 5)
    finally:
        signal("x").disconnect(receiver)
    assert seen == [(emitter, 5)]


async def test_coroutine_handlers_see_events_in_publish_order() -> None:
    emitter = Emitter()
    seen: list[int] = []

    async def slow_first(event: int) -> None:
        await asyncio.sleep(0.01 * (5 - event))
        seen.append(event)

    emitter.on("x", slow_first)
    for i in range(5):
        emitter.emit("x", i)
    await asyncio.wait_for(_until(lambda: len(seen) == 5), 2)
    assert seen == [0, 1, 2, 3, 4]
    await emitter.close_handlers()


async def test_coroutine_handler_failure_becomes_error_event() -> None:
    emitter = Emitter()
    errors: list[ErrorEvent] = []
    emitter.on("error", errors.append)

    async def broken(event: object) -> None:
        raise KeyError("missing")

    emitter.on("x", broken)
    emitter.emit("x", 1)
    await asyncio.wait_for(_until(lambda: bool(errors)), 2)
    assert isinstance(errors[0].error, HandlerError)
    await emitter.close_handlers()


async def test_close_handlers_cancels_pending_work() -> None:
    emitter = Emitter()
    started = asyncio.Event()

    async def forever(event: object) -> None:
        started.set()
        await asyncio.sleep(3600)

    emitter.on("x", forever)
    emitter.emit("x", 1)
    await asyncio.wait_for(started.wait(), 2)
    await emitter.close_handlers()
    assert not emitter._workers


def test_coroutine_handler_without_loop_reports_error() -> None:
    emitter = Emitter()
    errors: list[ErrorEvent] = []
    emitter.on("error", errors.append)

    async def handler(event: object) -> None:
        pass

    emitter.on("x", handler)
    emitter.emit("x", 1)
    assert "running event loop" in str(errors[0].error)


async def test_wait_for_returns_matching_event() -> None:
    emitter = Emitter()
    asyncio.get_running_loop().call_soon(emitter.emit, "x", 1)
    asyncio.get_running_loop().call_soon(emitter.emit, "x", 2)
    assert await emitter.wait_for("x", lambda e: e == 2, timeout=1) == 2
    assert not emitter.has_listeners("x")


async def test_wait_for_times_out() -> None:
    with pytest.raises(TimeoutError):
        await Emitter().wait_for("never", timeout=0.01)


@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers()), max_size=40))
def test_every_subscriber_sees_its_events_in_publish_order(
    events: list[tuple[str, int]],
) -> None:
    emitter = Emitter()
    seen: dict[tuple[str, int], list[int]] = {}
    for name in "abc":
        for k in range(2):
            emitter.on(name, seen.setdefault((name, k), []).append)
    for name, value in events:
        emitter.emit(name, value)
    for (name, _), got in seen.items():
        assert got == [v for n, v in events if n == name]


async def _until(condition: object) -> None:
    # Polling is simplest here: the condition is a plain list length, not an awaitable.
    while not condition():  # type: ignore[operator]  # noqa: ASYNC110
        await asyncio.sleep(0.001)


def test_receivers_connected_later_are_seen_by_the_next_emit() -> None:
    """The receiver cache follows (dis)connections made directly through blinker."""
    emitter = Emitter()
    seen: list[object] = []

    def receiver(sender: object, event: object = None) -> None:
        seen.append(event)

    emitter.emit("late", 1)  # resolves (and caches) "no receivers"
    assert not emitter.has_listeners("late")
    signal("late").connect(receiver, sender=emitter, weak=False)
    emitter.emit("late", 2)
    assert emitter.has_listeners("late")
    signal("late").disconnect(receiver)
    emitter.emit("late", 3)
    assert seen == [2]


def test_weak_receivers_go_through_blinker_and_may_die() -> None:
    emitter = Emitter()
    seen: list[object] = []

    class Receiver:
        def __call__(self, sender: object, event: object = None) -> None:
            seen.append(event)

    receiver = Receiver()
    signal("weak").connect(receiver, sender=emitter)  # weak by default
    emitter.emit("weak", 1)
    del receiver
    emitter.emit("weak", 2)
    assert seen == [1]


def test_has_listeners_with_weak_receivers_is_per_sender_and_sees_them_die() -> None:
    # A signal that ever had a weakly held receiver is never cached; has_listeners then asks
    # blinker about this sender only (a weak receiver of another sender does not count).
    emitter, other = Emitter(), Emitter()

    class Receiver:
        def __call__(self, sender: object, event: object = None) -> None:
            pass

    receiver = Receiver()
    signal("weak_listeners").connect(receiver, sender=other)  # weak by default
    assert other.has_listeners("weak_listeners")
    assert not emitter.has_listeners("weak_listeners")
    del receiver
    assert not other.has_listeners("weak_listeners")


def test_receivers_of_any_sender_are_included() -> None:
    emitter = Emitter()
    seen: list[object] = []

    def everyone(sender: object, event: object = None) -> None:
        seen.append((sender, event))

    signal("any").connect(everyone, weak=False)
    try:
        emitter.emit("any", 1)
    finally:
        signal("any").disconnect(everyone)
    assert seen == [(emitter, 1)]


def test_muted_signal_delivers_nothing() -> None:
    emitter = Emitter()
    seen: list[object] = []
    emitter.on("muted", seen.append)
    emitter.emit("muted", 1)
    with signal("muted").muted():
        emitter.emit("muted", 2)
    emitter.emit("muted", 3)
    assert seen == [1, 3]


async def test_coroutine_handlers_of_one_emitter_share_one_order() -> None:
    """An async handler of one name never overtakes an earlier event of another name."""
    emitter = Emitter()
    seen: list[str] = []

    async def slow_audio(event: str) -> None:
        await asyncio.sleep(0.02)
        seen.append(event)

    async def interrupted(event: str) -> None:
        seen.append(event)

    emitter.on("audio", slow_audio)
    emitter.on("audio_interrupted", interrupted)
    emitter.emit("audio", "audio 1")
    emitter.emit("audio_interrupted", "interrupted")
    await asyncio.wait_for(_until(lambda: len(seen) == 2), 2)
    assert seen == ["audio 1", "interrupted"]
    await emitter.close_handlers()


# -- checked names ----------------------------------------------------------------------------


class Radio(EventEmitter):
    """An emitter publishing two names, with an alias from another SDK."""

    event_names = EventNames(
        ("audio_start", "audio_stopped"),
        aliases={"audio_end": "audio_stopped"},
        hints={"audio": "'audio' is published by the speaker."},
        docs="docs/radio.md",
    )


def _refusal(subscribe: Callable[[], object]) -> str:
    with pytest.raises(UserError) as info:
        subscribe()
    return str(info.value)


def test_unknown_name_names_the_object_the_name_a_guess_and_the_docs() -> None:
    message = _refusal(lambda: Radio().on("audio_stoped", print))
    assert message == (
        "Radio has no event 'audio_stoped'; did you mean 'audio_stopped' or 'audio_start'?"
        " The events of Radio are listed in docs/radio.md."
    )


def test_every_way_of_subscribing_checks_the_name() -> None:
    radio = Radio()
    for subscribe in (
        lambda: radio.on("nope", print),
        lambda: radio.on("nope"),  # the decorator form fails at once, not when decorating
        lambda: radio.once("nope", print),
        lambda: radio.once("nope"),
        lambda: radio.off("nope"),
        lambda: radio.off("nope", print),
    ):
        assert "Radio has no event 'nope'" in _refusal(subscribe)
    assert not radio._subscribers


async def test_wait_for_checks_the_name_before_waiting() -> None:
    with pytest.raises(UserError, match="Radio has no event 'nope'"):
        await Radio().wait_for("nope")


def test_alias_from_another_sdk_is_the_only_guess() -> None:
    assert Radio.event_names is not None
    assert Radio.event_names.suggestions("audio_end") == ["audio_stopped"]
    assert "did you mean 'audio_stopped'?" in _refusal(lambda: Radio().on("audio_end", print))


def test_camel_case_name_suggests_its_snake_case_spelling() -> None:
    assert "did you mean 'audio_start'?" in _refusal(lambda: Radio().on("audioStart", print))


def test_several_look_alikes_are_all_offered() -> None:
    assert "did you mean 'audio_start' or 'audio_stopped'?" in _refusal(
        lambda: Radio().on("audio_st", print)
    )


def test_hint_says_where_a_name_is_published() -> None:
    message = _refusal(lambda: Radio().on("audio", print))
    assert "'audio' is published by the speaker." in message


def test_name_without_any_guess_still_points_at_the_docs() -> None:
    message = _refusal(lambda: Radio().on("zzz", print))
    assert message == "Radio has no event 'zzz'. The events of Radio are listed in docs/radio.md."


def test_non_string_name_is_refused() -> None:
    message = _refusal(lambda: Radio().on(42, print))  # type: ignore[call-overload]
    assert message == "Radio event names are strings, not int (42)"


def test_known_names_subscribe_and_deliver() -> None:
    radio = Radio()
    seen: list[object] = []
    radio.on("audio_start", seen.append)
    radio.once("audio_stopped")(seen.append)
    radio.emit("audio_start", 1)
    radio.emit("audio_stopped", 2)
    radio.emit("audio_stopped", 3)
    radio.off("audio_start")
    radio.emit("audio_start", 4)
    assert seen == [1, 2]


def test_emit_does_not_check_names() -> None:
    """The check costs nothing when publishing: only subscribing is checked."""
    radio = Radio()
    radio.emit("unlisted", 1)
    assert not radio.has_listeners("unlisted")


def test_a_subclass_adds_its_own_names_and_keeps_aliases_and_docs() -> None:
    class LoudRadio(Radio):
        event_names = Radio.event_names | {"volume_change"}  # type: ignore[operator]

    seen: list[object] = []
    LoudRadio().on("volume_change", seen.append)
    assert "did you mean 'audio_stopped'?" in _refusal(lambda: LoudRadio().on("audio_end", print))
    assert "docs/radio.md" in _refusal(lambda: LoudRadio().on("zzz", print))
    assert "volume_change" not in Radio.event_names  # type: ignore[operator]
    assert sorted(LoudRadio.event_names or ()) == ["audio_start", "audio_stopped", "volume_change"]


def test_aliases_must_lead_to_published_names() -> None:
    with pytest.raises(ValueError, match=r"not published: \['gone'\]"):
        EventNames(("a",), aliases={"b": "gone"})


def test_bare_emitter_accepts_any_name() -> None:
    assert EventEmitter.event_names is None
    emitter = EventEmitter()
    seen: list[object] = []
    emitter.on("anything at all", seen.append)
    emitter.emit("anything at all", 1)
    assert seen == [1]


def test_once_is_a_decorator_without_handler() -> None:
    emitter = Emitter()
    seen: list[object] = []

    @emitter.once("x")
    def handler(event: object) -> None:
        seen.append(event)

    emitter.emit("x", 1)
    emitter.emit("x", 2)
    assert seen == [1]


# -- the transports' names --------------------------------------------------------------------


def test_a_transport_accepts_the_contract_names_only() -> None:
    transport = ScriptedRealtimeTransport()
    for name in RealtimeTransportEventTypes:
        transport.on(name, print)
    message = _refusal(lambda: transport.on("tool_start", print))
    assert message.startswith("ScriptedRealtimeTransport has no event 'tool_start'")
    assert "docs/writing-a-transport.md#events" in message


@pytest.mark.parametrize(
    ("foreign", "ours"),
    [
        ("raw_server_event", "*"),  # openai-agents-python's model events
        ("item_updated", "item_update"),
        ("transcript_delta", "audio_transcript_delta"),
        ("turn_ended", "turn_done"),
        ("connection_status", "connection_change"),
        ("connected", "connection_change"),  # the JS SDK's OpenAI transports
    ],
)
def test_names_from_other_sdks_lead_to_ours(foreign: str, ours: str) -> None:
    message = _refusal(lambda: ScriptedRealtimeTransport().on(foreign, print))
    assert f"did you mean {ours!r}?" in message


def test_openai_transports_also_accept_every_server_event_type() -> None:
    transport = MockRealtimeTransport()
    for name in SERVER_EVENT_TYPES:
        transport.on(name, print)
    assert set(transport.event_names) == set(RealtimeTransportEventTypes) | SERVER_EVENT_TYPES
    message = _refusal(lambda: transport.on("response.audio.delta", print))  # the beta name
    assert "did you mean 'response.output_audio.delta'" in message


def test_a_transport_plugin_extends_the_names() -> None:
    class TwilioLike(ScriptedRealtimeTransport):
        event_names = ScriptedRealtimeTransport.event_names | {"twilio_message"}

    seen: list[object] = []
    TwilioLike().on("twilio_message", seen.append)
    assert "did you mean '*'?" in _refusal(lambda: TwilioLike().on("raw_server_event", print))
    assert "twilio_message" not in ScriptedRealtimeTransport.event_names


def test_transport_typing_has_one_overload_per_contract_name_with_its_payload() -> None:
    typed = {}
    for overload in typing.get_overloads(TransportSubscribe.__call__):
        hints = typing.get_type_hints(overload, vars(events_module))
        name = hints["name"]
        if typing.get_origin(name) is typing.Literal:
            (literal,) = typing.get_args(name)
            typed[literal] = typing.get_args(hints["handler"])[0][0]
    assert list(typed) == list(RealtimeTransportEventTypes)
    for name, payload in typed.items():
        assert payload == RealtimeTransportEventTypes[name], name


async def test_a_slow_coroutine_handler_loses_audio_past_the_bound_and_nothing_else() -> None:
    from realtime_agents.events import AudioEvent
    from realtime_agents.session import EventsDroppedError

    class Tight(EventEmitter):
        max_queued_audio_bytes = 1000

    emitter = Tight()
    release = asyncio.Event()
    handled: list[Any] = []

    async def slow(event: Any) -> None:
        await release.wait()
        handled.append(event)

    errors: list[Any] = []
    emitter.on("audio", slow)
    emitter.on("turn_done", slow)
    emitter.on("error", errors.append)
    for _ in range(10):  # 3000 bytes for a handler that cannot keep up
        emitter.emit("audio", AudioEvent(bytes(300), "r", "i", 0))
    emitter.emit("turn_done", "done")
    assert len(errors) == 1  # one report per burst
    assert isinstance(errors[0].error, EventsDroppedError)
    release.set()
    await asyncio.sleep(0.01)
    assert [type(e).__name__ for e in handled] == ["AudioEvent"] * 3 + ["str"]
    emitter.emit("audio", AudioEvent(bytes(300), "r", "i", 0))  # caught up: accepted again
    await asyncio.sleep(0.01)
    assert len(handled) == 5
    await emitter.close_handlers()


def test_subscribers_are_the_emitters_own_next_to_blinker_receivers() -> None:
    # on() keeps its handler in the emitter (blinker's per-connection maps cost ≈1 KiB per
    # name and subscriber: most of an idle session); a receiver connected to the signal
    # directly and the emitter's own subscribers both get the event, and weakly held or
    # muted signals keep blinker's semantics.
    emitter = Emitter()
    seen: list[object] = []
    emitter.on("own_and_blinker", lambda event: seen.append(("own", event)))
    assert not signal("own_and_blinker").receivers  # nothing connected to blinker

    def receiver(sender: object, event: object = None) -> None:
        seen.append(("blinker", event))

    signal("own_and_blinker").connect(receiver, sender=emitter)  # weakly held
    emitter.emit("own_and_blinker", 1)
    with signal("own_and_blinker").muted():
        emitter.emit("own_and_blinker", 2)
    signal("own_and_blinker").disconnect(receiver)
    emitter.emit("own_and_blinker", 3)
    assert seen == [("blinker", 1), ("own", 1), ("own", 3)]
    emitter.off("own_and_blinker")
    assert not emitter.has_listeners("own_and_blinker")
