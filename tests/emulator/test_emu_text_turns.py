"""Text turns, function calls and conversation items, driven by the official openai client."""

from __future__ import annotations

import json

import pytest
from emulator_helpers import openai_client, recv_until, squash, types, user_text

from realtime_agents_emulator import Emulator

TEXT_TURN = [
    "conversation.item.added",
    "conversation.item.done",
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]


async def test_text_turn_in_canonical_order(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        created = await conn.recv()
        assert created.type == "session.created"
        await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await recv_until(conn, "session.updated")
        await conn.conversation.item.create(item=user_text("hello there"))
        await conn.response.create()
        events = await recv_until(conn, "rate_limits.updated")
    assert squash(types(events)) == TEXT_TURN
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "You said: hello there"
    done = next(e for e in events if e.type == "response.done")
    assert done.response.status == "completed"
    assert done.response.output[0].content[0].type == "output_text"
    assert done.response.output[0].content[0].text == "You said: hello there"
    assert done.response.usage.total_tokens > 0
    assert all(getattr(e, "obfuscation", None) for e in events if e.type.endswith("text.delta"))


async def test_function_call_then_tool_output(emu: Emulator) -> None:
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(
            session={"type": "realtime", "output_modalities": ["text"], "tools": [tool]}
        )
        await recv_until(conn, "session.updated")
        await conn.conversation.item.create(item=user_text('please get_weather {"city": "Paris"}'))
        await conn.response.create()
        events = await recv_until(conn, "rate_limits.updated")
        assert squash(types(events)) == [
            "conversation.item.added",
            "conversation.item.done",
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "conversation.item.done",
            "response.output_item.done",
            "response.done",
            "rate_limits.updated",
        ]
        call = next(e for e in events if e.type == "response.function_call_arguments.done")
        assert call.name == "get_weather"
        assert json.loads(call.arguments) == {"city": "Paris"}
        done = next(e for e in events if e.type == "response.done")
        assert done.response.output[0].type == "function_call"
        await conn.conversation.item.create(
            item={"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
        )
        await conn.response.create()
        events = await recv_until(conn, "rate_limits.updated")
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "The get_weather tool returned: sunny"


async def test_item_create_retrieve_delete_and_root_insert(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item={**user_text("first"), "id": "item_first"})
        added, _ = await recv_until(conn, "conversation.item.done")
        assert added.previous_item_id is None
        await conn.conversation.item.create(
            item={**user_text("zeroth"), "id": "item_zero"}, previous_item_id="root"
        )
        added, _done = await recv_until(conn, "conversation.item.done")
        assert added.item.id == "item_zero"
        assert added.previous_item_id is None
        await conn.conversation.item.retrieve(item_id="item_first")
        (retrieved,) = await recv_until(conn, "conversation.item.retrieved")
        assert retrieved.item.content[0].text == "first"
        await conn.conversation.item.delete(item_id="item_zero")
        (deleted,) = await recv_until(conn, "conversation.item.deleted")
        assert deleted.item_id == "item_zero"
        await conn.conversation.item.delete(item_id="item_zero")
        (error,) = await recv_until(conn, "error")
        assert error.error.code == "item_not_found"
    conn_record = emu.connections[0]
    assert [e["type"] for e in conn_record.client_events] == [
        "conversation.item.create",
        "conversation.item.create",
        "conversation.item.retrieve",
        "conversation.item.delete",
        "conversation.item.delete",
    ]


async def test_out_of_band_response_is_not_written_to_the_conversation(emu: Emulator) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.response.create(
            response={
                "conversation": "none",
                "output_modalities": ["text"],
                "metadata": {"purpose": "summary"},
                "input": [user_text("summarise")],
            }
        )
        events = await recv_until(conn, "rate_limits.updated")
    names = types(events)
    assert "conversation.item.added" not in names
    done = next(e for e in events if e.type == "response.done")
    assert done.response.conversation_id is None
    assert done.response.metadata == {"purpose": "summary"}
    assert len(emu.connections[0]._session.conversation) == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("modalities", [["text"], ["audio"]])
async def test_max_output_tokens_makes_the_response_incomplete(
    emu: Emulator, modalities: list[str]
) -> None:
    async with openai_client(emu) as client, client.realtime.connect(model="gpt-realtime") as conn:
        await conn.recv()
        await conn.conversation.item.create(item=user_text("a fairly long sentence to echo back"))
        await conn.response.create(
            response={"max_output_tokens": 2, "output_modalities": modalities}
        )
        events = await recv_until(conn, "rate_limits.updated")
    done = next(e for e in events if e.type == "response.done")
    assert done.response.status == "incomplete"
    assert done.response.status_details.reason == "max_output_tokens"
