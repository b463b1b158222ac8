"""The fault matrix of DESIGN.md §7, run on every transport kit (``fault_kits.KITS``).

Each case attacks one transport with one fault over real sockets, against the emulator, and
then checks what §7 promises for all of them (:meth:`Matrix.check`, run after every case):
nothing we created — error events, exceptions and their chains, log records at DEBUG,
reprs — shows the API key; no task of ours is left running; the emulator did not crash.

Cases: peer drops (TCP close, RST, a close frame with an error code), bad frames (not JSON,
binary, not an object, no type, audio that is not base64, unknown types), a frame over the
size limit, a burst of small audio deltas, a dead peer, tool faults (raising, timing out, a
stuck sync tool, bad arguments, unknown tool), handler faults (sync and async), close from
inside a handler (transport and session), close during connect, unread event streams.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fault_kits import KITS, Kit, not_applicable_reason
from server_event_checks import check_emulator

from realtime_agents import RealtimeAgent, RealtimeSession
from realtime_agents.errors import ConnectionClosedError, HandlerError
from realtime_agents.events import ConnectionStatus, ErrorEvent
from realtime_agents.run_context import ToolContext
from realtime_agents.session import EventsDroppedError
from realtime_agents.tools import tool
from realtime_agents.transport import RealtimeTransportLayer
from realtime_agents_emulator import CallFunction, Emulator, Faults, Rule, RulesBrain, Say

#: Shaped like no known key, so only redaction by value (not by pattern) can hide it.
KEY = "fault-matrix-secret-7c1f0e9a2b4d6e8f"
TEXT = {"output_modalities": ["text"]}
AUDIO_DELTA = "response.output_audio.delta"

stuck_released = threading.Event()


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@tool
def broken(city: str) -> str:
    """Always fails."""
    raise RuntimeError("tool bug")


@tool(timeout=0.2)
async def slow_async() -> str:
    """Never finishes in time."""
    await asyncio.sleep(30)
    return "late"


@tool(timeout=0.2)
def stuck_sync(ctx: ToolContext[Any]) -> str:
    """Blocks its thread until told it was abandoned."""
    if ctx.cancelled.wait(30):
        stuck_released.set()
    return "late"


TOOLS = [get_weather, broken, slow_async, stuck_sync]


def _brain() -> RulesBrain:
    calls = {
        "weather": CallFunction("get_weather", {"city": "Oslo"}),
        "broken": CallFunction("broken", {"city": "Oslo"}),
        "slow": CallFunction("slow_async", {}),
        "stuck": CallFunction("stuck_sync", {}),
        "badargs": CallFunction("get_weather", {"town": 1}),
        "unknown": CallFunction("no_such_tool", {}),
    }
    rules = [Rule(text=f"^{word}$", then=[call]) for word, call in calls.items()]
    rules += [Rule(tool=t.name, then=[Say("tool said: {output}")]) for t in TOOLS]
    rules += [Rule(tool="no_such_tool", then=[Say("tool said: {output}")])]
    rules.append(Rule(text="^long$", then=[Say("a long answer", audio_ms=3000)]))
    return RulesBrain(rules)


class Matrix:
    """One case's transports and sessions, and the checks every case ends with."""

    def __init__(self, kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
        self.kit = kit
        self.emulator = kit.emulator
        self.caplog = caplog
        self.errors: list[object] = []
        self.made: list[object] = []
        #: Whether the case made the peer send frames no real server sends.
        self.injected = False

    def transport(self, **knobs: Any) -> RealtimeTransportLayer:
        transport = self.kit.transport(**knobs)
        transport.on("error", self.errors.append)
        self.made.append(transport)
        return transport

    async def connect(self, transport: RealtimeTransportLayer, **config: Any) -> None:
        await transport.connect(
            api_key=KEY, initial_session_config=config or TEXT, **self.kit.connect_options()
        )

    def session(self, transport: RealtimeTransportLayer | None = None, **options: Any) -> Any:
        agent = RealtimeAgent("fault", instructions="Be brief.", tools=TOOLS)
        options.setdefault("config", TEXT)
        session = RealtimeSession(agent, transport=transport or self.transport(), **options)
        session.on("error", self.errors.append)
        self.made.append(session)
        return session

    def raised(self, error: BaseException) -> None:
        self.errors.append(error)

    async def check(self) -> None:
        for made in self.made:
            await made.close()  # type: ignore[attr-defined]
        await asyncio.sleep(0)
        leftover = [
            task
            for task in asyncio.all_tasks()
            if not task.done() and task.get_name().startswith("realtime_agents")
        ]
        assert leftover == []
        assert self.emulator.crashes == []
        texts = [self.caplog.text] + [repr(made) for made in self.made]
        for error in self.errors:
            texts.append(repr(error))
            for link in _chain(getattr(error, "error", error)):
                texts += [repr(link), str(link), repr(getattr(link, "args", ()))]
        leaks = [text for text in texts if KEY in text or KEY[-16:] in text]
        assert leaks == []


def _chain(error: object) -> Iterator[BaseException]:
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        link = pending.pop()
        if isinstance(link, BaseException) and not any(link is s for s in seen):
            seen.append(link)
            yield link
            pending += [link.__cause__, link.__context__]


@pytest.fixture(params=KITS, ids=[kit.name for kit in KITS])
async def matrix(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Matrix]:
    caplog.set_level(logging.DEBUG)
    kit: type[Kit] = request.param
    # conftest.py deselects the cases a kit names as not applicable: none arrives here.
    assert not not_applicable_reason(kit, request.node.originalname, request.node.callspec.id)
    emulator = Emulator(
        brain=_brain(), api_keys=[KEY], audio_speed=0, speech="synthetic", **kit.emulator_options
    )
    await emulator.start()
    matrix = Matrix(request.param(emulator), caplog)
    try:
        yield matrix
        await matrix.check()
    finally:
        await emulator.stop()
        matrix.kit.close()
    if not matrix.injected:  # what the emulator itself sent must be valid GA events
        check_emulator(emulator)


async def _turn(session: Any, text: str, timeout: float = 5.0) -> Any:
    """Send ``text``; the first ``agent_end`` that says something (after any tool calls)."""
    done = asyncio.get_running_loop().create_future()

    def on_end(event: Any) -> None:
        if event.output_text and not done.done():
            done.set_result(event)

    session.on("agent_end", on_end)
    try:
        await session.send_message(text)
        return await asyncio.wait_for(done, timeout)
    finally:
        session.off("agent_end", on_end)


async def _disconnected(transport: RealtimeTransportLayer, timeout: float = 5.0) -> None:
    if transport.status is not ConnectionStatus.DISCONNECTED:
        await transport.wait_for(
            "connection_change",
            lambda event: event.status is ConnectionStatus.DISCONNECTED,
            timeout=timeout,
        )


def _errors_of(matrix: Matrix, kind: type[BaseException]) -> list[BaseException]:
    """Errors of ``kind`` seen (once each: the session re-publishes its transport's)."""
    found: list[BaseException] = []
    for event in matrix.errors:
        error = getattr(event, "error", event)
        if isinstance(error, kind) and not any(error is f for f in found):
            found.append(error)
    return found


# -- the peer goes away ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Faults(drop_mid_response=2),
        Faults(reset_after_events=4),
        Faults(close_after_events=4, close_code=1011),
    ],
    ids=["tcp-close", "tcp-reset", "close-1011"],
)
async def test_peer_drops_mid_response(matrix: Matrix, fault: Faults) -> None:
    matrix.emulator.faults.next_connection(fault)
    session = matrix.session()
    await session.connect(KEY)
    await session.send_message("long")
    await _disconnected(session.transport)
    assert _errors_of(matrix, ConnectionClosedError)
    with pytest.raises(ConnectionClosedError) as caught:
        await session.send_message("anyone?")
    matrix.raised(caught.value)
    transport = matrix.transport()  # the next connection is healthy
    await matrix.connect(transport)
    assert transport.status is ConnectionStatus.CONNECTED


# -- what the peer sends ------------------------------------------------------------------------


def _bad_audio_delta(delta: str) -> dict[str, Any]:
    return {
        "type": AUDIO_DELTA,
        "response_id": "resp_x",
        "item_id": "item_x",
        "output_index": 0,
        "content_index": 0,
        "delta": delta,
    }


@pytest.mark.parametrize(
    "kind", ["not-json", "binary", "not-an-object", "no-type", "bad-base64", "unknown-type"]
)
async def test_bad_frames_are_errors_and_the_session_goes_on(matrix: Matrix, kind: str) -> None:
    session = matrix.session()
    await session.connect(KEY)
    peer = matrix.kit.peer()
    matrix.injected = True
    if kind == "not-json":
        await peer.send_text('{"type": "session.updated", ' + KEY)
    elif kind == "binary":
        await peer.send_binary(b"\x00\xff" + KEY.encode())
    elif kind == "not-an-object":
        await peer.send_text(f'["{KEY}"]')
    elif kind == "no-type":
        await peer.send_text(f'{{"echo": "{KEY}"}}')
    elif kind == "bad-base64":
        peer.send_event(_bad_audio_delta("AAAA####AAAA"))
    else:
        peer.send_event({"type": "brand.new.event", "echo": KEY})
    answer = await _turn(session, "still there?")
    assert answer.output_text == "You said: still there?"
    errors = [getattr(e, "error", e) for e in matrix.errors]
    if kind == "unknown-type":
        assert errors == []
    else:
        assert errors
    assert session.transport.status is ConnectionStatus.CONNECTED


async def test_a_frame_over_the_size_limit_closes_with_1009(matrix: Matrix) -> None:
    transport = matrix.transport(max_frame=64 * 1024)
    session = matrix.session(transport)
    await session.connect(KEY)
    matrix.kit.peer().send_event(
        {"type": "rate_limits.updated", "rate_limits": [], "pad": "x" * 200_000}
    )
    await _disconnected(transport)
    (error,) = _errors_of(matrix, ConnectionClosedError)
    assert "message too big" in str(error)
    assert "1009" in str(error)


async def test_a_burst_of_small_audio_deltas_is_delivered_whole(matrix: Matrix) -> None:
    chunk = bytes(range(256)) * 2  # 512 bytes: about 10 ms of 24 kHz PCM16
    session = matrix.session(config={})
    received = bytearray()
    whole = asyncio.Event()

    def on_audio(event: Any) -> None:
        received.extend(event.data)
        if len(received) >= 3000 * len(chunk):
            whole.set()

    session.on("audio", on_audio)
    await session.connect(KEY)
    encoded = base64.b64encode(chunk).decode()
    peer = matrix.kit.peer()
    matrix.injected = True  # deltas of a response that was never created
    for _ in range(3000):  # far more events than one queue entry per event would allow
        peer.send_event({**_bad_audio_delta(encoded), "response_id": "resp_burst"})
    await asyncio.wait_for(whole.wait(), 10)
    assert bytes(received) == chunk * 3000
    assert session.dropped_audio_events == 0


async def test_a_dead_peer_is_noticed_by_keepalive(matrix: Matrix) -> None:
    # close_timeout is far longer than the wait: detection must not wait for a closing
    # handshake that a dead peer will never complete.
    transport = matrix.transport(keepalive=(0.2, 0.2), close_timeout=60)
    session = matrix.session(transport)
    await session.connect(KEY)
    matrix.kit.peer().stall()
    await _disconnected(transport, timeout=3)
    assert any("keepalive" in str(e) for e in _errors_of(matrix, ConnectionClosedError))


# -- faults in user code ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("say", "expected"),
    [
        ("broken", "tool bug"),
        ("slow", "timed out"),
        ("stuck", "timed out"),
        ("badargs", "Invalid arguments for tool get_weather"),
    ],
)
async def test_tool_faults_go_back_to_the_model(matrix: Matrix, say: str, expected: str) -> None:
    session = matrix.session()
    await session.connect(KEY)
    answer = await _turn(session, say)
    assert answer.output_text.startswith("tool said: ")
    assert expected in answer.output_text
    if say == "stuck":
        assert stuck_released.wait(5)  # the abandoned thread was told, and returned
    answer = await _turn(session, "weather")  # and the session goes on
    assert answer.output_text == "tool said: sunny in Oslo"


async def test_an_unknown_tool_is_answered_and_the_session_goes_on(matrix: Matrix) -> None:
    session = matrix.session()
    await session.connect(KEY)
    await session.send_message("unknown")
    output = await matrix.kit.peer().wait_for_client_event(
        "conversation.item.create",
        where=lambda event: event["item"]["type"] == "function_call_output",
    )
    assert output["item"]["output"] == "Tool no_such_tool not found"
    answer = await _turn(session, "weather")
    assert answer.output_text == "tool said: sunny in Oslo"


async def test_handler_faults_are_errors_and_the_session_goes_on(matrix: Matrix) -> None:
    session = matrix.session()

    def sync_bug(event: Any) -> None:
        raise RuntimeError("sync handler bug")

    async def async_bug(event: Any) -> None:
        raise RuntimeError("async handler bug")

    session.on("agent_start", sync_bug)
    session.on("agent_start", async_bug)
    session.transport.on("turn_started", sync_bug)
    await session.connect(KEY)
    answer = await _turn(session, "hello")
    assert answer.output_text == "You said: hello"
    await asyncio.sleep(0.05)  # the async handler's failure is reported from its task
    failures = {str(e.__cause__) for e in _errors_of(matrix, HandlerError)}
    assert failures == {"sync handler bug", "async handler bug"}
    assert (await _turn(session, "again")).output_text == "You said: again"


async def test_close_from_inside_a_transport_handler(matrix: Matrix) -> None:
    transport = matrix.transport()
    closed = asyncio.Event()

    async def close_on_turn_done(event: Any) -> None:
        await transport.close()
        closed.set()

    transport.on("turn_done", close_on_turn_done)
    await matrix.connect(transport)
    await transport.send_message("hello")
    await asyncio.wait_for(closed.wait(), 5)
    assert transport.status is ConnectionStatus.DISCONNECTED
    await transport.close()  # and again, from outside


async def test_close_from_inside_a_session_handler(matrix: Matrix) -> None:
    session = matrix.session()
    closed = asyncio.Event()

    async def close_on_answer(event: Any) -> None:
        await session.close()
        closed.set()

    session.on("agent_end", close_on_answer)
    await session.connect(KEY)
    await session.send_message("hello")
    await asyncio.wait_for(closed.wait(), 5)
    assert session.transport.status is ConnectionStatus.DISCONNECTED


async def test_close_during_connect(matrix: Matrix) -> None:
    matrix.emulator.faults.next_connection(Faults(delay_ms=3000))  # session.created comes late
    transport = matrix.transport()
    connecting = asyncio.create_task(matrix.connect(transport))
    await matrix.kit.wait_for_peer(timeout=5)
    await transport.close()
    with pytest.raises(ConnectionClosedError) as caught:
        await connecting
    matrix.raised(caught.value)
    assert transport.status is ConnectionStatus.DISCONNECTED
    await matrix.kit.peer().wait_closed()


async def test_an_unread_event_stream_stays_within_its_bound(matrix: Matrix) -> None:
    bound = 64 * 1024  # under the 144 KB of a 3 s reply: every transport must drop some
    session = matrix.session(config={}, max_queued_audio_bytes=bound)
    stream = session.events(transport_events=True)  # never read while the answer streams
    heard = 0
    played = asyncio.Event()

    def on_audio(event: Any) -> None:
        nonlocal heard
        heard += len(event.data)
        if heard >= 2 * bound:
            played.set()

    session.on("audio", on_audio)
    await session.connect(KEY)
    await _turn(session, "long")  # 3 s of audio: 144 KB, and its base64 text in raw events
    await asyncio.wait_for(played.wait(), 10)  # on a media track it plays after the turn
    assert stream.dropped > 0
    await session.close()
    held = [event async for event in stream]
    audio = sum(len(e.data) for e in held if e.type == "audio")
    raw = sum(
        len(e.data["delta"])
        for e in held
        if e.type == "transport_event" and e.data["type"] == AUDIO_DELTA
    )
    assert audio + raw <= bound
    dropped = [e for e in held if isinstance(e, ErrorEvent)]
    assert [type(e.error) for e in dropped] == [EventsDroppedError]
    assert [e.type for e in held].count("agent_end") == 1


def test_not_applicable_cases_name_real_cases_with_reasons() -> None:
    """Each kit's deselected cases exist (a typo cannot drop another case) and say why."""
    module = sys.modules[__name__]
    for kit in KITS:
        for case, reason in kit.not_applicable.items():
            name, _, param = case.partition("[")
            test = getattr(module, name, None)
            assert callable(test), f"{kit.name}: no case {name!r}"
            if param:
                marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
                ids = [i for m in marks for i in (m.kwargs.get("ids") or [])]
                assert param.rstrip("]") in ids, f"{kit.name}: {name} has no case {param}"
            assert len(reason) > 40, f"{kit.name}: {case} needs a reason a reader can check"
