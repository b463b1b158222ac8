"""The contract suite: test classes a transport's tests subclass with their harness.

Each test is a plain (synchronous) pytest test that runs its body with :func:`asyncio.run`,
so the suite works under any asyncio plugin configuration (or none). A test whose
capabilities the harness does not declare is skipped, with the missing capabilities and the
harness named in the reason: nothing is silently left out.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import pytest

from ...errors import ConnectionClosedError, NotSupportedError, RealtimeAgentsError, UserError
from ...events import (
    AudioEvent,
    AudioInterruptedEvent,
    ConnectionStatus,
    ErrorEvent,
    FunctionCallEvent,
    InputAudioTranscriptionEvent,
    RealtimeTransportEventTypes,
    ServerEvent,
    TurnDoneEvent,
    TurnStartedEvent,
    Usage,
)
from ...items import AssistantMessageItem, FunctionCallItem, OutputText, RealtimeItem
from ...transport import RealtimeTransportLayer
from ._harness import (
    AUDIO_IN,
    AUDIO_OUT,
    CANCELLABLE_CONNECT,
    CONVERSATION,
    INPUT_TRANSCRIPTION,
    INTERRUPT,
    OPENAI_WIRE,
    PEER_DROP,
    Reply,
    Script,
    TransportHarness,
)

__all__ = [
    "ConversationContract",
    "Events",
    "LifecycleContract",
    "OpenAIWireContract",
    "TransportContract",
]

_Body = Callable[[Any, TransportHarness], Awaitable[None]]

#: The user's words and the model's answers every conversation test uses.
SCRIPT = Script(
    replies={
        "ping": Reply("pong"),
        "order status": Reply(call="lookup_order", arguments={"id": 7}),
        "talk": Reply("a long spoken answer", audio_ms=3000),
        "hello from audio": Reply("I heard you", audio_ms=400),
    },
    after_tool="Your order is {output}.",
)
TOOL = {"type": "function", "name": "lookup_order", "description": "", "parameters": {}}


def contract(*needs: str, timeout: float = 30.0) -> Callable[[_Body], Callable[[Any], None]]:
    """Make ``body(self, harness)`` a test that needs the capabilities ``needs``."""

    def wrap(body: _Body) -> Callable[[Any], None]:
        def test(self: Any) -> None:
            harness_class: type[TransportHarness] = self.harness
            missing = sorted(set(needs) - harness_class.capabilities)
            if missing:
                pytest.skip(f"{harness_class.name} does not declare {', '.join(missing)}")
            asyncio.run(_drive(harness_class, body, self, timeout))

        # Not functools.wraps: pytest would read the body's signature and look for fixtures.
        test.__name__ = body.__name__
        test.__qualname__ = body.__qualname__
        test.__doc__ = body.__doc__
        return test

    return wrap


async def _drive(
    harness_class: type[TransportHarness], body: _Body, case: Any, timeout: float
) -> None:
    harness = harness_class()
    await harness.start(SCRIPT)
    try:
        async with asyncio.timeout(timeout):
            await body(case, harness)
    finally:
        await harness.stop()


class Events:
    """Every event of the given names one transport publishes, in publication order."""

    def __init__(self, transport: RealtimeTransportLayer, *names: str) -> None:
        self.log: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()
        for name in names:
            transport.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(event: Any) -> None:
            self.log.append((name, event))
            self._changed.set()

        return record

    def of(self, name: str) -> list[Any]:
        return [event for n, event in self.log if n == name]

    def names(self) -> list[str]:
        return [n for n, _ in self.log]

    async def wait_for(
        self, name: str, predicate: Callable[[Any], bool] | None = None, timeout: float = 10.0
    ) -> Any:
        async with asyncio.timeout(timeout):
            while True:
                for n, event in self.log:
                    if n == name and (predicate is None or predicate(event)):
                        return event
                self._changed.clear()
                await self._changed.wait()

    async def settled(self, name: str, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until ``name`` events stop arriving for ``quiet`` seconds (audio on a media
        track plays in real time, so it may still arrive after ``turn_done``)."""
        async with asyncio.timeout(timeout):
            while True:
                count = len(self.of(name))
                await asyncio.sleep(quiet)
                if len(self.of(name)) == count:
                    return


def _status(transport: RealtimeTransportLayer) -> ConnectionStatus:
    """The status, read through a call (so type checkers do not pin it after one assert)."""
    return transport.status


def _statuses(transport: RealtimeTransportLayer) -> list[str]:
    seen: list[str] = []
    transport.on("connection_change", lambda event: seen.append(str(event.status.value)))
    return seen


def _leaks(harness: TransportHarness, before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks() - before
        if not task.done() and task is not current and not harness.is_backend_task(task)
    ]


def _text_of(item: RealtimeItem) -> str:
    if not isinstance(item, AssistantMessageItem):
        return ""
    return "".join(
        p.text if isinstance(p, OutputText) else p.transcript or "" for p in item.content
    )


async def _connected(harness: TransportHarness, **overrides: Any) -> RealtimeTransportLayer:
    transport = harness.new_transport()
    await transport.connect(harness.connect_options(**overrides))
    return transport


class _Contract:
    #: The harness class of the transport under test (set by the subclass).
    harness: ClassVar[type[TransportHarness]]


class LifecycleContract(_Contract):
    """Statuses, connect/close, calls while disconnected, muting, handlers, task ownership."""

    @contract()
    async def test_connect_then_close_publishes_each_status_once(
        self, harness: TransportHarness
    ) -> None:
        transport = harness.new_transport()
        assert _status(transport) is ConnectionStatus.DISCONNECTED
        seen = _statuses(transport)
        await transport.connect(harness.connect_options())
        assert _status(transport) is ConnectionStatus.CONNECTED
        assert transport.status == "connected"  # the docs compare with strings
        await transport.close()
        assert _status(transport) is ConnectionStatus.DISCONNECTED
        await transport.close()  # idempotent
        assert seen == ["connecting", "connected", "disconnecting", "disconnected"]

    @contract()
    async def test_second_connect_while_connected_is_a_user_error(
        self, harness: TransportHarness
    ) -> None:
        transport = await _connected(harness)
        with pytest.raises(UserError):
            await transport.connect(harness.connect_options())
        assert _status(transport) is ConnectionStatus.CONNECTED

    @contract()
    async def test_a_closed_transport_connects_again(self, harness: TransportHarness) -> None:
        transport = harness.new_transport()
        for _ in range(3):
            await transport.connect(harness.connect_options())
            assert _status(transport) is ConnectionStatus.CONNECTED
            await transport.close()
        assert _status(transport) is ConnectionStatus.DISCONNECTED

    @contract()
    async def test_calls_while_disconnected(self, harness: TransportHarness) -> None:
        transport = harness.new_transport()
        try:
            await transport.send_audio(b"\x00\x00" * 240)  # microphones keep going: dropped
        except UserError:  # a transport that carries no audio (SIP) may refuse it at any time
            if AUDIO_IN in harness.capabilities:
                raise
        for call in (
            transport.send_message("hello"),
            transport.update_session_config({"instructions": "x"}),
            transport.add_image("data:image/png;base64,AAAA"),
            transport.request_response(),
            transport.cancel_response(),
            transport.interrupt(),
        ):
            with pytest.raises(ConnectionClosedError):
                await call

    @contract()
    async def test_mute_is_supported_or_refused_clearly(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        if transport.muted is None:
            with pytest.raises(UserError, match=r"[Mm]ute"):
                await transport.mute(True)
            assert transport.muted is None
        else:
            await transport.mute(True)
            assert transport.muted is True
            await transport.mute(False)
            assert transport.muted is False

    @contract()
    async def test_optional_methods_work_or_say_not_supported(
        self, harness: TransportHarness
    ) -> None:
        transport = await _connected(harness)
        for method in ("send_event", "send_mcp_response"):
            overridden = getattr(type(transport), method) is not getattr(
                RealtimeTransportLayer, method
            )
            if not overridden:
                call = (
                    transport.send_event({"type": "noop"})
                    if method == "send_event"
                    else transport.send_mcp_response(None, True)  # type: ignore[arg-type]
                )
                with pytest.raises(NotSupportedError, match=type(transport).__name__):
                    await call

    @contract()
    async def test_handler_exceptions_become_error_events(self, harness: TransportHarness) -> None:
        transport = harness.new_transport()
        errors: list[ErrorEvent] = []
        transport.on("error", errors.append)

        def broken(event: object) -> None:
            raise RuntimeError("a listener's bug")

        async def broken_async(event: object) -> None:
            raise RuntimeError("an async listener's bug")

        transport.on("connection_change", broken)
        transport.on("connection_change", broken_async)
        await transport.connect(harness.connect_options())  # not broken by its listeners
        assert _status(transport) is ConnectionStatus.CONNECTED
        await asyncio.sleep(0.05)
        texts = [str(e.error) for e in errors]
        assert any("a listener's bug" in t for t in texts)
        assert any("an async listener's bug" in t for t in texts)

    @contract()
    async def test_close_leaves_no_task_behind(self, harness: TransportHarness) -> None:
        before = asyncio.all_tasks()
        transport = harness.new_transport()

        async def slow_handler(event: object) -> None:
            await asyncio.sleep(3600)  # a coroutine handler still running at close

        transport.on("connection_change", slow_handler)
        await transport.connect(harness.connect_options())
        await transport.close()
        await asyncio.sleep(0.05)
        assert _leaks(harness, before) == []

    @contract()
    async def test_close_from_inside_a_handler_returns(self, harness: TransportHarness) -> None:
        before = asyncio.all_tasks()
        transport = harness.new_transport()
        closed = asyncio.Event()

        async def close_on_connect(event: Any) -> None:
            if event.status == "connected":
                await transport.close()
                closed.set()

        transport.on("connection_change", close_on_connect)
        await transport.connect(harness.connect_options())
        await asyncio.wait_for(closed.wait(), 5)
        assert _status(transport) is ConnectionStatus.DISCONNECTED
        await transport.close()  # and again from outside
        await asyncio.sleep(0.05)
        assert _leaks(harness, before) == []

    @contract(CANCELLABLE_CONNECT)
    async def test_close_during_connect_fails_that_connect(self, harness: TransportHarness) -> None:
        transport = harness.new_transport()
        seen = _statuses(transport)
        never = asyncio.Event()

        async def pending_key() -> str:
            await never.wait()
            return "unreachable"

        connecting = asyncio.ensure_future(
            transport.connect(harness.connect_options(api_key=pending_key))
        )
        await asyncio.sleep(0.02)
        await asyncio.wait_for(transport.close(), 5)
        with pytest.raises(RealtimeAgentsError):
            await asyncio.wait_for(connecting, 5)
        assert _status(transport) is ConnectionStatus.DISCONNECTED
        assert seen[-1:] in ([], ["disconnected"])
        await transport.connect(harness.connect_options())  # still usable
        assert _status(transport) is ConnectionStatus.CONNECTED


class ConversationContract(_Contract):
    """Turns with a backend: text, tools, audio both ways, interrupt, dropped connections."""

    @contract(CONVERSATION)
    async def test_text_turn(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        names = [
            "turn_started",
            "output_text_delta",
            "audio_transcript_delta",
            "usage_update",
            "turn_done",
        ]
        events = Events(transport, *names)
        await transport.send_message("ping")
        done = await events.wait_for("turn_done")
        assert isinstance(done, TurnDoneEvent)
        assert done.type == "turn_done"
        started = events.of("turn_started")
        assert len(started) == 1
        assert isinstance(started[0], TurnStartedEvent)
        assert started[0].response_id == done.response.id
        order = events.names()
        assert order[0] == "turn_started"
        assert order[-1] == "turn_done"
        deltas = events.of("output_text_delta") + events.of("audio_transcript_delta")
        assert "".join(d.delta for d in deltas) == "pong"
        assert {d.response_id for d in deltas} == {done.response.id}
        assert done.response.status == "completed"
        assert [_text_of(item) for item in done.response.output] == ["pong"]
        assert all(isinstance(u, Usage) for u in events.of("usage_update"))

    @contract(CONVERSATION)
    async def test_function_call_round_trip(self, harness: TransportHarness) -> None:
        transport = await _connected(harness, initial_session_config={"tools": [TOOL]})
        events = Events(transport, "function_call", "item_update", "turn_done")
        await transport.send_message("order status")
        call = await events.wait_for("function_call")
        assert isinstance(call, FunctionCallEvent)
        assert call.name == "lookup_order"
        assert json.loads(call.arguments) == {"id": 7}
        assert call.call_id
        assert call.response_id
        await transport.send_function_call_output(call, "shipped", start_response=True)
        answered = await events.wait_for(
            "item_update", lambda i: isinstance(i, FunctionCallItem) and i.output == "shipped"
        )
        assert (answered.call_id, answered.status) == (call.call_id, "completed")
        done = await events.wait_for("turn_done", lambda e: e.response.id != call.response_id)
        assert [_text_of(i) for i in done.response.output] == ["Your order is shipped."]

    @contract(CONVERSATION, AUDIO_IN, AUDIO_OUT)
    async def test_audio_in_and_out(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        events = Events(transport, "audio", "audio_done", "turn_done")
        await transport.send_audio(_tone(600), commit=True)  # the user's turn ends here
        await transport.request_response()
        done = await events.wait_for("turn_done")
        await events.settled("audio")
        audio = events.of("audio")
        assert audio, "a spoken reply is published as audio events"
        assert all(isinstance(a, AudioEvent) and type(a.data) is bytes for a in audio)
        assert {a.response_id for a in audio} == {done.response.id}
        received = sum(len(a.data) for a in audio)
        assert received % 2 == 0  # PCM16
        assert abs(received - 400 * 48) <= 20 * 48  # ~400 ms at 24 kHz mono, within 20 ms
        assert [_text_of(i) for i in done.response.output] == ["I heard you"]

    @contract(CONVERSATION, AUDIO_IN, INPUT_TRANSCRIPTION)
    async def test_input_audio_transcription(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        events = Events(transport, "input_audio_transcription", "item_update")
        await transport.send_audio(_tone(600), commit=True)
        heard = await events.wait_for("input_audio_transcription")
        assert isinstance(heard, InputAudioTranscriptionEvent)
        assert heard.type == "input_audio_transcription"
        assert heard.transcript == SCRIPT.heard
        assert heard.item_id

    @contract(CONVERSATION, AUDIO_OUT, INTERRUPT)
    async def test_interrupt_while_audio_plays(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        events = Events(transport, "audio", "audio_interrupted", "turn_done")
        await transport.send_message("talk")
        first = await events.wait_for("audio")
        await transport.interrupt()
        interrupted = await events.wait_for("audio_interrupted")
        assert isinstance(interrupted, AudioInterruptedEvent)
        assert interrupted.type == "audio_interrupted"
        if interrupted.item_id is not None:
            assert interrupted.item_id == first.item_id
        if interrupted.audio_end_ms is not None:
            assert 0 <= interrupted.audio_end_ms <= 3000
        await events.wait_for("turn_done")
        assert len(events.of("audio_interrupted")) == 1
        count = len(events.of("audio"))
        await asyncio.sleep(0.1)
        assert len(events.of("audio")) == count, "no audio of an interrupted reply after it"

    @contract(CONVERSATION, PEER_DROP)
    async def test_peer_drop_disconnects_without_hanging(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        events = Events(transport, "connection_change", "error")
        await harness.drop()
        await events.wait_for("connection_change", lambda e: e.status == "disconnected")
        assert _status(transport) is ConnectionStatus.DISCONNECTED
        assert events.names()[:1] == ["error"], "an abnormal end is reported, then the status"
        with pytest.raises(ConnectionClosedError):
            await transport.send_message("hello?")
        await asyncio.wait_for(transport.close(), 5)
        await transport.connect(harness.connect_options())
        assert _status(transport) is ConnectionStatus.CONNECTED

    @contract(CONVERSATION)
    async def test_payload_types_match_the_event_names(self, harness: TransportHarness) -> None:
        transport = await _connected(harness, initial_session_config={"tools": [TOOL]})
        names = [n for n in RealtimeTransportEventTypes if n != "*"]
        events = Events(transport, *names)
        await transport.send_message("order status")
        call = await events.wait_for("function_call")
        await transport.send_function_call_output(call, "late", start_response=True)
        await events.wait_for("turn_done", lambda e: e.response.id != call.response_id)
        assert events.log
        for name, payload in events.log:
            expected = RealtimeTransportEventTypes[name]
            if isinstance(expected, type):
                assert isinstance(payload, expected), (name, payload)
            if name not in ("item_update", "usage_update") and not name.startswith("mcp_"):
                assert payload.type == name, (name, payload)


class OpenAIWireContract(_Contract):
    """What an OpenAI transport sends and publishes (the backend shows what it received)."""

    @contract(OPENAI_WIRE)
    async def test_initial_and_updated_session_config_reach_the_server(
        self, harness: TransportHarness
    ) -> None:
        transport = await _connected(harness, initial_session_config={"instructions": "first"})
        first = await harness.received("session.update")
        assert first["session"]["instructions"] == "first"
        assert first["session"]["type"] == "realtime"
        await transport.update_session_config({"instructions": "second"})
        await harness.received(
            "session.update", where=lambda e: e["session"].get("instructions") == "second"
        )

    @contract(OPENAI_WIRE, CONVERSATION)
    async def test_raw_events_on_star_and_by_type(self, harness: TransportHarness) -> None:
        transport = harness.new_transport()
        star: list[ServerEvent] = []
        typed: list[ServerEvent] = []

        def vandal(event: ServerEvent) -> None:
            star.append(event)
            event.data["response"] = None  # a * listener's copy is its own

        transport.on("*", vandal)
        transport.on("response.done", typed.append)
        await transport.connect(harness.connect_options())
        events = Events(transport, "turn_done")
        await transport.send_message("ping")
        await events.wait_for("turn_done")
        kinds = [e.type for e in star]
        assert kinds[0] == "session.created"
        assert {"response.created", "response.done"} <= set(kinds)
        assert all(isinstance(e, ServerEvent) and e.data["type"] == e.type for e in star)
        assert isinstance(typed[0].data["response"], dict)
        await transport.send_event({"type": "input_audio_buffer.clear"})
        await harness.received("input_audio_buffer.clear")

    @contract(OPENAI_WIRE, CONVERSATION)
    async def test_messages_and_tool_outputs_on_the_wire(self, harness: TransportHarness) -> None:
        transport = await _connected(harness, initial_session_config={"tools": [TOOL]})
        events = Events(transport, "function_call")
        await transport.send_message("order status")
        call = await events.wait_for("function_call")
        message = await harness.received("conversation.item.create")
        assert message["item"]["content"] == [{"type": "input_text", "text": "order status"}]
        await transport.send_function_call_output(call, "shipped")
        output = await harness.received(
            "conversation.item.create", where=lambda e: e["item"]["type"] == "function_call_output"
        )
        assert output["item"] == {
            "type": "function_call_output",
            "call_id": call.call_id,
            "output": "shipped",
        }

    @contract(OPENAI_WIRE, AUDIO_IN)
    async def test_audio_is_appended_then_committed(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        pcm = _tone(100)
        await transport.send_audio(pcm, commit=True)
        if getattr(transport, "media", "inline") == "track":  # the audio went on a media track
            await harness.received("input_audio_buffer.commit")
            return
        append = await harness.received("input_audio_buffer.append")
        assert base64.b64decode(append["audio"]) == pcm
        await harness.received("input_audio_buffer.commit")

    @contract(OPENAI_WIRE, CONVERSATION)
    async def test_request_and_cancel_response_on_the_wire(self, harness: TransportHarness) -> None:
        transport = await _connected(harness)
        events = Events(transport, "turn_done")
        await transport.request_response({"instructions": "say hi"})
        create = await harness.received("response.create")
        assert create["response"] == {"instructions": "say hi"}
        assert create.get("event_id")
        await events.wait_for("turn_done")
        await transport.cancel_response()  # nothing ongoing: nothing sent, no error
        await transport.request_response()
        await harness.received("response.create", where=lambda e: "response" not in e)


class TransportContract(LifecycleContract, ConversationContract, OpenAIWireContract):
    """The whole contract: subclass it as ``TestX`` with ``harness = YourHarness``."""


def _tone(ms: int) -> bytes:
    """``ms`` milliseconds of a loud square wave, PCM16 24 kHz mono (speech to any VAD)."""
    period = b"\x00\x40" * 24 + b"\x00\xc0" * 24  # 500 Hz
    return (period * (ms // 2 + 1))[: ms * 48]
