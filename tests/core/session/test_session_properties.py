"""Properties of the session under any interleaving (hypothesis).

* the history converges to the server's item list, whatever order its events arrive in;
* every function call gets exactly one output, whatever mix of tools, duplicates, bad
  arguments, approvals and slow tools the model produces;
* ``on`` handlers (plain and coroutine) and ``async for`` see the same events in one order.

Each example runs in its own event loop (``asyncio.run``) with a fresh session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from session_helpers import make_host, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.events import InputAudioTranscriptionEvent, ItemDeletedEvent, Usage
from realtime_agents.items import (
    AssistantMessageItem,
    InputAudio,
    OutputAudio,
    RealtimeItem,
    UserMessageItem,
)
from realtime_agents.session import SESSION_EVENT_NAMES, RealtimeSession
from realtime_agents.testing import ScriptedRealtimeTransport
from realtime_agents.tools import tool

PROPERTY_SETTINGS = settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


async def open_session(
    agent: RealtimeAgent[Any], **options: Any
) -> tuple[RealtimeSession[Any], ScriptedRealtimeTransport]:
    transport = ScriptedRealtimeTransport()
    session = RealtimeSession(agent, transport=transport, plugin_host=make_host(), **options)
    await session.connect()
    await settle(session)
    return session, transport


# -- history convergence ---------------------------------------------------------------------


def server_conversation(size: int, kinds: list[bool]) -> list[RealtimeItem]:
    """The server's final items: a chain of user audio and assistant audio messages."""
    items: list[RealtimeItem] = []
    for index in range(size):
        prev = items[-1].item_id if items else None
        if kinds[index]:
            content_u = (InputAudio(transcript=f"user says {index}"),)
            items.append(
                UserMessageItem(
                    item_id=f"i{index}",
                    content=content_u,
                    status="completed",
                    previous_item_id=prev,
                )
            )
        else:
            content_a = (OutputAudio(transcript=f"assistant says {index}"),)
            items.append(
                AssistantMessageItem(
                    item_id=f"i{index}",
                    content=content_a,
                    status="completed",
                    previous_item_id=prev,
                )
            )
    return items


def events_for(item: RealtimeItem) -> list[tuple[str, Any]]:
    """What a server sends about one item: added (partial), maybe a transcription, done."""
    if isinstance(item, UserMessageItem):
        added = UserMessageItem(
            item_id=item.item_id,
            content=(InputAudio(transcript=None),),
            status="in_progress",
            previous_item_id=item.previous_item_id,
        )
        transcript = item.content[0].transcript  # type: ignore[union-attr]
        done_u = UserMessageItem(
            item_id=item.item_id,
            content=(InputAudio(transcript=None),),
            status="completed",
            previous_item_id=item.previous_item_id,
        )
        return [
            ("item_update", added),
            ("input_audio_transcription", InputAudioTranscriptionEvent(item.item_id, transcript)),
            ("item_update", done_u),
        ]
    assert isinstance(item, AssistantMessageItem)
    added_a = AssistantMessageItem(
        item_id=item.item_id,
        content=(OutputAudio(transcript=""),),
        status="in_progress",
        previous_item_id=item.previous_item_id,
    )
    return [("item_update", added_a), ("item_update", item)]


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[RealtimeItem], list[tuple[str, Any]], set[str]]:
    size = draw(st.integers(1, 7))
    kinds = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    items = server_conversation(size, kinds)
    events = [event for item in items for event in events_for(item)]
    shuffled = draw(st.permutations(events))
    deleted = draw(st.sets(st.sampled_from([i.item_id for i in items]), max_size=2))
    return items, list(shuffled), deleted


@PROPERTY_SETTINGS
@given(conversations())
def test_history_converges_to_the_server_items(
    case: tuple[list[RealtimeItem], list[tuple[str, Any]], set[str]],
) -> None:
    items, events, deleted = case

    async def scenario() -> None:
        session, transport = await open_session(RealtimeAgent("a"))
        for name, event in events:
            transport.emit(name, event)
            if len(name) % 2:  # let the consumer run at varying points
                await asyncio.sleep(0)
        for item_id in sorted(deleted):  # the server deletes only items it has announced
            transport.emit("item_deleted", ItemDeletedEvent(item_id=item_id))
        await settle(session)
        expected = [i for i in items if i.item_id not in deleted]
        assert [(i.item_id, i.content, i.status) for i in session.history] == [  # type: ignore[union-attr]
            (i.item_id, i.content, i.status)
            for i in expected  # type: ignore[union-attr]
        ]
        await session.close()

    run(scenario)


# -- exactly one output per call -------------------------------------------------------------


@tool
def quick(n: int) -> str:
    return f"quick {n}"


@tool
async def slow(n: int, delay: float = 0.0) -> str:
    await asyncio.sleep(delay)
    return f"slow {n}"


@tool(needs_approval=True)
def guarded(n: int) -> str:
    return f"guarded {n}"


call_spec = st.tuples(
    st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6"]),
    st.sampled_from(["quick", "slow", "guarded", "missing", "transfer_to_other"]),
    st.sampled_from(['{"n": 1}', '{"n": 2, "delay": 0.002}', "{bad json", '{"n": "x"}', ""]),
)


@PROPERTY_SETTINGS
@given(
    calls=st.lists(call_spec, min_size=1, max_size=12),
    approve=st.lists(st.booleans(), min_size=6, max_size=6),
    yields=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_every_function_call_gets_exactly_one_output(
    calls: list[tuple[str, str, str]], approve: list[bool], yields: list[bool]
) -> None:
    async def scenario() -> None:
        other = RealtimeAgent("Other")
        agent = RealtimeAgent("a", tools=[quick, slow, guarded], handoffs=[other])
        session, transport = await open_session(agent)

        async def decide(event: Any) -> None:
            item = event.approval_item
            if approve[int(item.call_id[1:]) - 1]:
                await session.approve(item)
            else:
                await session.reject(item, message="no")

        session.on("tool_approval_requested", decide)
        first_arguments: dict[str, str] = {}
        for (call_id, name, arguments), pause in zip(calls, yields, strict=False):
            first_arguments.setdefault(call_id, arguments)
            transport.emit_function_call(name, arguments, call_id=call_id)
            if pause:
                await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        await settle(session)
        answered = [
            c.args["tool_call"].call_id
            for c in transport.calls
            if c.method == "send_function_call_output"
        ]
        assert sorted(answered) == sorted(first_arguments)
        await session.close()

    run(scenario)


# -- one order for every subscriber ----------------------------------------------------------


transport_events = st.lists(
    st.sampled_from(
        ["turn", "audio", "delta", "item", "call", "usage", "error", "done", "interrupt"]
    ),
    max_size=25,
)


@PROPERTY_SETTINGS
@given(script=transport_events, yields=st.lists(st.booleans(), min_size=25, max_size=25))
def test_handlers_and_streams_see_one_order(script: list[str], yields: list[bool]) -> None:
    async def scenario() -> None:
        from realtime_agents.events import AudioInterruptedEvent, ErrorEvent

        session, transport = await open_session(RealtimeAgent("a", tools=[quick]))
        plain: list[Any] = []
        coroutine: list[Any] = []
        streamed: list[Any] = []

        async def slow_handler(event: Any) -> None:
            await asyncio.sleep(0)
            coroutine.append(event)

        for name in SESSION_EVENT_NAMES:
            session.on(name, plain.append)
            session.on(name, slow_handler)

        async def consume() -> None:
            async for event in session:
                streamed.append(event)

        consumer = asyncio.create_task(consume())
        await asyncio.sleep(0)
        response = "r0"
        for index, (step, pause) in enumerate(zip(script, yields, strict=False)):
            if step == "turn":
                response = transport.emit_turn_started()
            elif step == "audio":
                transport.emit_audio(b"\x00\x00", response_id=response)
            elif step == "delta":
                transport.emit_transcript_delta("hi ", response_id=response)
            elif step == "item":
                transport.emit_item(
                    AssistantMessageItem(
                        item_id=f"m{index}", content=(OutputAudio(transcript="x"),)
                    )
                )
            elif step == "call":
                transport.emit_function_call(
                    "quick", {"n": index}, call_id=f"c{index}", response_id=response
                )
            elif step == "usage":
                transport.emit("usage_update", Usage(total_tokens=1))
            elif step == "error":
                transport.emit("error", ErrorEvent(error="e"))
            elif step == "done":
                transport.emit_turn_done(
                    response, output=[AssistantMessageItem(item_id="m", content=())]
                )
            else:
                transport.emit("audio_interrupted", AudioInterruptedEvent())
            if pause:
                await asyncio.sleep(0)
        await settle(session)
        await asyncio.gather(*session._workers)  # coroutine handlers drain, then end
        await session.close()
        await consumer
        assert streamed == plain
        assert coroutine == plain
        outputs = [c for c in transport.calls if c.method == "send_function_call_output"]
        assert len(outputs) == script.count("call")
        assert all(json.loads(json.dumps(c.args["output"])) for c in outputs)

    run(scenario)
