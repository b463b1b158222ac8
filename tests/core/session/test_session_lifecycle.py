"""Session lifecycle and event delivery: transports, connect/close, streams, queue, delegation."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import pytest
from session_helpers import Recorder, make_host, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.errors import HandlerError, TransportNotFoundError, UserError
from realtime_agents.events import (
    AudioInterruptedEvent,
    ErrorEvent,
    ServerEvent,
    Usage,
)
from realtime_agents.items import (
    AssistantMessageItem,
    FunctionCallItem,
    McpApprovalRequestItem,
    McpCallItem,
    OutputAudio,
)
from realtime_agents.plugins import hookimpl
from realtime_agents.session import EventsDroppedError, RealtimeSession, TransportEvent
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.tools import tool


@tool
def get_weather(city: str) -> str:
    return f"sunny in {city}"


class TransportPlugin:
    def __init__(self, *names: str) -> None:
        self.names = names
        self.made: list[ScriptedRealtimeTransport] = []

    @hookimpl
    def realtime_agents_register_transports(self, register: Any) -> None:
        for name in self.names:
            register(name, self.make)

    def make(self) -> ScriptedRealtimeTransport:
        self.made.append(ScriptedRealtimeTransport())
        return self.made[-1]


# -- transports ------------------------------------------------------------------------------


def test_transport_by_name_and_default() -> None:
    plugin = TransportPlugin("websocket", "webrtc")
    host = make_host(plugin)
    assert (
        RealtimeSession(RealtimeAgent("a"), transport="websocket", plugin_host=host).transport
        is plugin.made[0]
    )
    RealtimeSession(RealtimeAgent("a"), plugin_host=host)
    assert len(plugin.made) == 2  # the default (webrtc) was created too


def test_unknown_and_missing_transports_are_clear_errors() -> None:
    with pytest.raises(TransportNotFoundError, match="Installed transports: websocket"):
        RealtimeSession(
            RealtimeAgent("a"),
            transport="carrier-pigeon",
            plugin_host=make_host(TransportPlugin("websocket")),
        )
    with pytest.raises(TransportNotFoundError, match="realtime-agents-websocket"):
        RealtimeSession(RealtimeAgent("a"), plugin_host=make_host())
    with pytest.raises(UserError, match="transport must be"):
        RealtimeSession(RealtimeAgent("a"), transport=42, plugin_host=make_host())  # type: ignore[arg-type]
    with pytest.raises(UserError, match="needs a RealtimeAgent"):
        RealtimeSession("agent", plugin_host=make_host())  # type: ignore[arg-type]


# -- connect and close -----------------------------------------------------------------------


async def test_connect_forwards_options_and_hides_the_key(
    transport: ScriptedRealtimeTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = RealtimeSession(
        RealtimeAgent("a"), transport=transport, plugin_host=make_host(), model="gpt-realtime"
    )
    await session.connect(
        api_key=lambda: "sk-very-secret", url="ws://x/v1/realtime", call_id="rtc_1"
    )
    call = await transport.expect_call("connect")
    assert (call.args["url"], call.args["call_id"], call.args["model"]) == (
        "ws://x/v1/realtime",
        "rtc_1",
        "gpt-realtime",
    )
    assert call.args["api_key_provided"] is True
    assert "sk-very-secret" not in repr(session) + caplog.text
    assert (
        repr(session)
        == "RealtimeSession(agent='a', transport=ScriptedRealtimeTransport, status='connected')"
    )
    with pytest.raises(UserError, match="already connected"):
        await session.connect()
    await session.close()
    with pytest.raises(UserError, match="closed"):
        await session.connect()


async def test_close_is_idempotent_and_closes_the_transport(
    transport: ScriptedRealtimeTransport,
) -> None:
    async with RealtimeSession(
        RealtimeAgent("a"), transport=transport, plugin_host=make_host()
    ) as session:
        await session.connect()
    await session.close()
    transport.assert_closed()
    assert [c.method for c in transport.calls] == ["connect", "close"]
    assert not transport.has_listeners("function_call")


async def test_close_cancels_tools_and_parked_approvals(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    @tool
    async def forever() -> str:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append("forever")
            raise
        return "never"

    @tool(needs_approval=True)
    def guarded() -> str:
        return "never"

    session = await connect_session(RealtimeAgent("a", tools=[forever, guarded]))
    transport.emit_function_call("forever", {}, call_id="c1")
    transport.emit_function_call("guarded", {}, call_id="c2")
    await started.wait()
    await session.close()
    assert cancelled == ["forever"]
    assert len(session._tasks) == 0
    gc.collect()  # a pending task destroyed here would warn, and warnings are errors


async def test_close_from_inside_a_handler(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    done = asyncio.Event()

    async def on_error(event: Any) -> None:
        await session.close()
        done.set()

    session.on("error", on_error)
    transport.emit("error", ErrorEvent(error="server says bye"))
    await asyncio.wait_for(done.wait(), 2)
    transport.assert_closed()


async def test_reconnect_does_not_subscribe_twice(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    transport.disconnect()
    await session.connect()
    await transport.expect_call("connect")
    assert len(transport._subscribers["function_call"]) == 1
    recorder = Recorder(session, ("audio",))
    transport.emit_audio(b"\x00\x00")
    await settle(session)
    assert len(recorder.of("audio")) == 1


# -- delivery --------------------------------------------------------------------------------


async def test_async_for_sees_the_same_events_in_the_same_order(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    from realtime_agents.items import AssistantMessageItem, OutputAudio

    session = await connect_session(RealtimeAgent("a", tools=[get_weather]))
    recorder = Recorder(session)
    streamed: list[Any] = []

    async def consume() -> None:
        async for event in session:
            streamed.append(event)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)
    rid = transport.emit_turn_started()
    transport.emit_item(AssistantMessageItem(item_id="m1", content=(OutputAudio(transcript="hi"),)))
    transport.emit_audio(b"\x00" * 4, response_id=rid)
    transport.emit_function_call("get_weather", {"city": "Oslo"}, call_id="c1", response_id=rid)
    transport.emit_audio_done(response_id=rid)
    transport.emit_turn_done(rid)
    await transport.expect_call("send_function_call_output")
    await settle(session)
    await session.close()
    await consumer
    assert [e for _, e in recorder.events] == streamed
    types = [e.type for e in streamed]
    assert types[:5] == ["agent_start", "history_added", "history_updated", "audio_start", "audio"]
    assert {"agent_tool_start", "agent_tool_end", "audio_stopped", "agent_end"} <= set(types)
    assert all(name == event.type for name, event in recorder.events)


async def test_streams_end_when_the_session_closes(connect_session: Any) -> None:
    session = await connect_session(RealtimeAgent("a"))
    stream = session.events()
    await session.close()
    assert [e async for e in stream] == []
    assert [e async for e in session.events()] == []


async def test_handler_exceptions_become_error_events(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))

    def broken(event: Any) -> None:
        raise ValueError("oops")

    session.on("audio", broken)
    recorder = Recorder(session, ("audio", "error"))
    stream = session.events()
    transport.emit_audio(b"\x00\x00")
    transport.emit_audio(b"\x00\x00")
    await settle(session)
    assert recorder.names() == ["error", "audio", "error", "audio"]
    assert isinstance(recorder.of("error")[0].error, HandlerError)
    await session.close()
    assert [e.type async for e in stream if e.type in ("audio", "error")] == [
        "error",
        "audio",
        "error",
        "audio",
    ]


async def test_audio_start_once_per_turn_and_audio_stopped(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    agent = RealtimeAgent("a")
    session = await connect_session(agent)
    recorder = Recorder(session, ("audio_start", "audio", "audio_stopped", "audio_interrupted"))
    for rid in ("r1", "r2"):
        transport.emit_turn_started(rid)
        transport.emit_audio(b"\x00\x00", response_id=rid)
        transport.emit_audio(b"\x00\x00", response_id=rid)
    transport.emit_audio_done(response_id="r2")
    transport.emit("audio_interrupted", AudioInterruptedEvent(item_id="i", audio_end_ms=5))
    await settle(session)
    assert recorder.names() == [
        "audio_start", "audio", "audio",
        "audio_start", "audio", "audio",
        "audio_stopped", "audio_interrupted",
    ]  # fmt: skip
    assert recorder.of("audio_start")[0].agent is agent
    assert recorder.of("audio_interrupted")[0].audio_end_ms == 5


async def test_agent_end_reports_the_last_thing_said(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    agent = RealtimeAgent("a")
    session = await connect_session(agent)
    recorder = Recorder(session, ("agent_start", "agent_end"))
    transport.emit_turn_started("r1")
    output = [
        AssistantMessageItem(item_id="m1", content=(OutputAudio(transcript="Let me check."),)),
        FunctionCallItem(item_id="f1", name="x", call_id="c", arguments="{}"),
    ]
    transport.emit_turn_done("r1", output=output)
    await settle(session)
    start, end = recorder.of("agent_start")[0], recorder.of("agent_end")[0]
    assert (start.agent, start.response_id) == (agent, "r1")
    assert (end.agent, end.output_text) == (agent, "Let me check.")


async def test_usage_accumulates(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    transport.emit_turn_done(
        "r1", usage=Usage(requests=1, input_tokens=3, output_tokens=4, total_tokens=7)
    )
    transport.emit_turn_done(
        "r2", usage=Usage(requests=1, input_tokens=1, output_tokens=1, total_tokens=2)
    )
    await settle(session)
    assert session.usage == Usage(requests=2, input_tokens=4, output_tokens=5, total_tokens=9)
    assert session.context.usage == session.usage


async def test_transport_errors_are_forwarded(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    recorder = Recorder(session, ("error",))
    transport.emit("error", ErrorEvent(error={"type": "invalid_request_error"}))
    await settle(session)
    assert recorder.of("error")[0].error == {"type": "invalid_request_error"}


async def test_transport_events_are_forwarded_only_when_wanted(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    assert not transport.has_listeners("*")
    seen: list[TransportEvent] = []
    session.on("transport_event", seen.append)
    assert transport.has_listeners("*")
    raw = {"type": "session.created", "session": {}}
    transport.emit("*", ServerEvent(type="session.created", data=raw))
    await settle(session)
    assert [e.data for e in seen] == [raw]


# -- the queue's bound -----------------------------------------------------------------------


async def test_audio_over_the_byte_bound_is_dropped_but_never_calls(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(
        RealtimeAgent("a", tools=[get_weather]), max_queued_audio_bytes=6
    )
    recorder = Recorder(session, ("audio", "error", "agent_tool_start"))

    def burst(event: Any) -> None:
        # An idle session handles an event at once; what is published while it is busy
        # (here: inside its own audio handler) waits in the queue, and the bound applies.
        session.off("audio", burst)
        for _ in range(10):
            transport.emit_audio(b"\x00\x00")
        transport.emit_function_call("get_weather", {"city": "Oslo"}, call_id="c1")

    session.on("audio", burst)
    transport.emit_audio(b"\x00\x00")
    await transport.expect_call("send_function_call_output")
    await settle(session)
    # The first audio (handled at once), 3 queued (6 bytes), 7 dropped, one error, the call.
    assert recorder.names() == ["audio"] * 4 + ["error", "agent_tool_start"]
    assert isinstance(recorder.of("error")[0].error, EventsDroppedError)
    assert "over 6 bytes of audio" in str(recorder.of("error")[0].error)
    assert (session.dropped_audio_events, session.dropped_audio_bytes) == (7, 14)


async def test_an_idle_session_handles_events_at_once_and_in_order(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    # No task switch per message on the audio path; events published while one is being
    # handled wait behind it.
    session = await connect_session(RealtimeAgent("a"))
    await settle(session)
    seen: list[bytes] = []

    def audio(event: Any) -> None:
        seen.append(event.data)
        if event.data == b"\x01\x00":
            transport.emit_audio(b"\x02\x00")  # published from inside a handler
            assert seen == [b"\x01\x00"]  # queued, not handled inside this one

    session.on("audio", audio)
    transport.emit_audio(b"\x01\x00")
    assert seen == [b"\x01\x00"]  # handled before emit returned: no await in between
    await settle(session)
    assert seen == [b"\x01\x00", b"\x02\x00"]
    transport.emit_audio(b"\x03\x00")
    assert seen[-1] == b"\x03\x00"  # idle again: at once


async def test_an_event_published_while_closing_is_not_handled_at_once(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    # Closing bumps the generation before the reader has stopped: from then on an event
    # must not be handed to the handlers at once (the reader is still parked on its queue).
    session = await connect_session(RealtimeAgent("a"))
    await settle(session)
    seen: list[bytes] = []
    session.on("audio", lambda event: seen.append(event.data))
    transport.emit_audio(b"\x01\x00")
    assert seen == [b"\x01\x00"]  # idle: handled at once
    closing = asyncio.create_task(session.close())
    await asyncio.sleep(0)  # close() started its closing task
    await asyncio.sleep(0)  # whose first step ran; the reader has not woken yet
    transport.emit_audio(b"\x02\x00")
    await closing
    assert seen == [b"\x01\x00"]


async def test_a_burst_of_many_small_chunks_is_not_dropped(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    # The bound counts bytes: 5000 chunks of 10 ms (far more *events* than the old bound of
    # 1024 entries) arrive in one burst, as from one socket read, and all are delivered.
    session = await connect_session(RealtimeAgent("a"))
    received = bytearray()
    session.on("audio", lambda event: received.extend(event.data))
    chunk = bytes(480)
    for _ in range(5000):
        transport.emit_audio(chunk)
    await settle(session)
    assert len(received) == 5000 * 480
    assert session.dropped_audio_events == 0


def _raw_audio_delta(size: int) -> ServerEvent:
    delta = "A" * size
    data = {"type": "response.output_audio.delta", "delta": delta, "item_id": "i"}
    return ServerEvent(type="response.output_audio.delta", data=data)


async def test_an_unread_stream_of_transport_events_holds_at_most_its_audio_bound(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    bound = 64 * 1024
    session = await connect_session(RealtimeAgent("a"), max_queued_audio_bytes=bound)
    stream = session.events(transport_events=True)  # left unread while audio streams
    for index in range(200):
        transport.emit("*", _raw_audio_delta(4000))
        transport.emit_audio(bytes(3000))
        if index % 4 == 0:
            await settle(session)  # the session itself keeps up: only the stream falls behind
    transport.emit_turn_done("resp_1")
    await settle(session)
    assert session.dropped_audio_events == 0
    assert stream.dropped > 150
    assert stream.dropped_bytes >= stream.dropped * 3000
    await session.close()
    held = [event async for event in stream]
    audio = sum(len(e.data) for e in held if getattr(e, "type", None) == "audio")
    raw = sum(len(e.data["delta"]) for e in held if getattr(e, "type", None) == "transport_event")
    assert audio + raw <= bound
    errors = [e for e in held if getattr(e, "type", None) == "error"]
    assert len(errors) == 1  # one announcement, where the gap starts
    assert isinstance(errors[0].error, EventsDroppedError)
    assert [e.type for e in held].count("agent_end") == 1  # state is never dropped


async def test_an_unread_stream_overflows_and_says_so_on_the_next_read(
    connect_session: Any, transport: ScriptedRealtimeTransport, caplog: pytest.LogCaptureFixture
) -> None:
    session = await connect_session(RealtimeAgent("a"), max_queued_events=5)
    stream = session.events()
    for index in range(8):
        transport.emit("error", ErrorEvent(error=RuntimeError(f"server trouble {index}")))
    await settle(session)
    assert "an event stream was not read: 5 events waited" in caplog.text
    with pytest.raises(EventsDroppedError, match="more than 5 events waited"):
        await anext(stream)
    read = session.events()  # a stream that is read as it goes is unaffected
    transport.emit("error", ErrorEvent(error=RuntimeError("more")))
    await settle(session)
    assert str((await anext(read)).error) == "more"


# -- delegation ------------------------------------------------------------------------------


async def test_sending_and_control_methods_delegate(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    await session.send_message("hi", {"event_id": "e1"})
    await session.add_image("data:image/png;base64,AAAA", trigger_response=False)
    await session.send_audio(b"\x01\x02", commit=True)
    await session.interrupt()
    assert [(c.method, c.args) for c in transport.calls[1:]] == [
        (
            "send_message",
            {"message": "hi", "other_event_data": {"event_id": "e1"}, "trigger_response": True},
        ),
        ("add_image", {"image": "data:image/png;base64,AAAA", "trigger_response": False}),
        ("send_audio", {"audio": b"\x01\x02", "commit": True}),
        ("interrupt", {"cancel_ongoing_response": True}),
    ]


async def test_mute_is_delegated_with_a_clear_error_where_unsupported(connect_session: Any) -> None:
    session = await connect_session(RealtimeAgent("a"))
    assert session.muted is None
    with pytest.raises(UserError, match="Mute is not supported"):
        await session.mute(True)
    muting = ScriptedRealtimeTransport(supports_mute=True)
    other = RealtimeSession(RealtimeAgent("a"), transport=muting, plugin_host=make_host())
    await other.connect()
    await other.mute(True)
    assert other.muted is True
    await other.close()


async def test_hosted_mcp_approvals_and_completions(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    recorder = Recorder(session, ("tool_approval_requested", "mcp_tool_call_completed"))
    request = McpApprovalRequestItem(
        item_id="m1", server_label="docs", name="search", arguments={"q": "x"}
    )
    transport.emit("mcp_approval_request", request)
    await settle(session)
    (event,) = recorder.of("tool_approval_requested")
    assert (event.tool, event.approval_item) == (None, request)
    await session.reject(request, message="no")
    call = await transport.expect_call("send_mcp_response")
    assert (call.args["approved"], call.args["reason"]) == (False, "no")
    await session.approve(request)
    assert (await transport.expect_call("send_mcp_response")).args["approved"] is True
    transport.emit(
        "mcp_tool_call_completed",
        McpCallItem(item_id="c1", name="search", arguments="{}", output="ok"),
    )
    created = await transport.expect_call("request_response")
    assert created.args["response"] is None
    await settle(session)
    assert recorder.names()[-1] == "mcp_tool_call_completed"
