"""The bus: on/off/once, ordering per subscriber, handler failures, coroutine handlers."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime_agents.bus import EventEmitter, signal
from realtime_agents.errors import HandlerError
from realtime_agents.events import ErrorEvent


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
