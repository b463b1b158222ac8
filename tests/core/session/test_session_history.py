"""The session's history: ordering, merging, statuses, transcriptions, audio, update_history."""

from __future__ import annotations

from typing import Any

import pytest
from session_helpers import Recorder, settle

from realtime_agents.agent import RealtimeAgent
from realtime_agents.events import ItemDeletedEvent
from realtime_agents.items import (
    AssistantMessageItem,
    FunctionCallItem,
    InputAudio,
    InputText,
    OutputAudio,
    OutputText,
    UserMessageItem,
)
from realtime_agents.session._history import ConversationHistory
from realtime_agents.testing import ScriptedRealtimeTransport


def user(item_id: str, prev: str | None = None, **kw: Any) -> UserMessageItem:
    kw.setdefault("content", (InputText(item_id),))
    return UserMessageItem(item_id=item_id, previous_item_id=prev, **kw)


def assistant(
    item_id: str, transcript: str | None = "", prev: str | None = None, **kw: Any
) -> AssistantMessageItem:
    content = (OutputAudio(transcript=transcript, audio=kw.pop("audio", None)),)
    return AssistantMessageItem(item_id=item_id, content=content, previous_item_id=prev, **kw)


def ids(history: ConversationHistory) -> list[str]:
    return [i.item_id for i in history.items]


# -- ordering --------------------------------------------------------------------------------


def test_items_insert_after_their_previous_item() -> None:
    history = ConversationHistory()
    for item in (user("a"), user("c", "a"), user("b", "a")):
        history.upsert(item)
    assert ids(history) == ["a", "b", "c"]


@pytest.mark.parametrize("order", ["abc", "acb", "bac", "bca", "cab", "cba"])
def test_a_chain_converges_whatever_order_it_arrives_in(order: str) -> None:
    chain = {"a": user("a"), "b": user("b", "a"), "c": user("c", "b")}
    history = ConversationHistory()
    for key in order:
        history.upsert(chain[key])
    assert ids(history) == ["a", "b", "c"]


def test_delete_and_clear() -> None:
    history = ConversationHistory()
    history.upsert(user("a"))
    assert history.delete("a")
    assert not history.delete("a")
    history.upsert(user("b"))
    history.clear()
    assert history.items == ()


# -- merging ---------------------------------------------------------------------------------


def test_an_empty_transcript_never_erases_a_known_one() -> None:
    history = ConversationHistory()
    history.upsert(assistant("a", "Hello there"))
    changed, added = history.upsert(assistant("a", None, status="completed"))
    assert (changed, added) == (True, False)
    (item,) = history.items
    assert item.content[0].transcript == "Hello there"  # type: ignore[union-attr]
    assert item.status == "completed"  # type: ignore[union-attr]


def test_status_never_goes_back_to_in_progress() -> None:
    history = ConversationHistory()
    history.upsert(assistant("a", "hi", status="completed"))
    history.upsert(assistant("a", "hi", status="in_progress"))
    assert history.items[0].status == "completed"  # type: ignore[union-attr]


def test_known_output_and_content_are_kept() -> None:
    history = ConversationHistory()
    call = FunctionCallItem(
        item_id="f", name="t", arguments="{}", call_id="c", output="42", status="completed"
    )
    history.upsert(call)
    history.upsert(FunctionCallItem(item_id="f", name="t", arguments="", call_id="c"))
    assert history.items[0] == call
    history.upsert(AssistantMessageItem(item_id="m", content=(OutputText("hi"),)))
    history.upsert(AssistantMessageItem(item_id="m", content=()))
    history.upsert(AssistantMessageItem(item_id="m", content=(OutputText(""),)))
    assert history.items[1].content == (OutputText("hi"),)  # type: ignore[union-attr]


def test_identical_updates_change_nothing() -> None:
    history = ConversationHistory()
    assert history.upsert(user("a")) == (True, True)
    assert history.upsert(user("a")) == (False, False)


def test_audio_is_stripped_unless_stored() -> None:
    stripped, stored = ConversationHistory(), ConversationHistory(store_audio=True)
    for history in (stripped, stored):
        history.upsert(assistant("a", "hi", audio="AAAA"))
        history.upsert(assistant("a", "hi", audio=None))
    assert stripped.items[0].content[0].audio is None  # type: ignore[union-attr]
    assert stored.items[0].content[0].audio == "AAAA"  # type: ignore[union-attr]


# -- statuses and transcripts ----------------------------------------------------------------


def test_statuses_converge() -> None:
    history = ConversationHistory()
    history.upsert(user("u", status="in_progress", content=(InputAudio(),)))
    history.upsert(assistant("a", "hi", "u"))
    history.upsert(
        FunctionCallItem(item_id="f", name="t", arguments="{}", call_id="c", previous_item_id="a")
    )
    assert history.complete_user_messages()
    done_a = AssistantMessageItem(item_id="a", content=(), status="incomplete")
    done_zz = AssistantMessageItem(item_id="zz", content=())
    assert history.complete_output([done_a, done_zz])
    assert history.upsert(
        FunctionCallItem(
            item_id="f", name="t", arguments="{}", call_id="c", output="done", status="completed"
        )
    ) == (True, False)
    assert [getattr(i, "status", None) for i in history.items] == [
        "completed",
        "incomplete",
        "completed",
    ]
    assert history.items[2].output == "done"  # type: ignore[union-attr]


def test_input_transcription_merges_into_the_user_item_even_when_early() -> None:
    history = ConversationHistory()
    assert not history.set_transcript("u", 0, "hello")
    history.upsert(user("u", status="in_progress", content=(InputAudio(transcript=None),)))
    (item,) = history.items
    assert item.content == (InputAudio(transcript="hello"),)  # type: ignore[union-attr]
    assert item.status == "completed"  # type: ignore[union-attr]
    history.upsert(user("u", status="in_progress", content=(InputAudio(transcript=None),)))
    assert history.items[0].content == (InputAudio(transcript="hello"),)  # type: ignore[union-attr]
    assert history.set_transcript("u", 5, "hello again")
    assert history.items[0].content == (InputAudio(transcript="hello again"),)  # type: ignore[union-attr]


# -- through a session -----------------------------------------------------------------------


async def test_session_publishes_history_added_then_updated(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    recorder = Recorder(session, ("history_added", "history_updated"))
    transport.emit_item(user("u1"))
    transport.emit_item(user("u1"))  # no change: no event
    transport.emit_item(assistant("a1", "hi", "u1"))
    transport.emit("item_deleted", ItemDeletedEvent(item_id="u1"))
    await settle(session)
    assert recorder.names() == ["history_added", "history_updated"] * 2 + ["history_updated"]
    assert recorder.of("history_added")[1].item.item_id == "a1"
    assert [i.item_id for i in session.history] == ["a1"]
    assert session.context.history == session.history


async def test_session_merges_input_transcriptions(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    transport.emit_item(user("u1", status="in_progress", content=(InputAudio(transcript=None),)))
    transport.emit_input_transcription("u1", "What's the weather?")
    await settle(session)
    (item,) = session.history
    assert item.content == (InputAudio(transcript="What's the weather?"),)  # type: ignore[union-attr]
    assert item.status == "completed"  # type: ignore[union-attr]


async def test_reconnecting_starts_an_empty_history(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    transport.emit_item(user("u1"))
    await settle(session)
    transport.disconnect()
    recorder = Recorder(session, ("history_updated",))
    await session.connect(api_key="sk-x")
    await transport.expect_call("connect")
    await settle(session)
    assert session.history == ()
    assert recorder.of("history_updated")[-1].history == ()


async def test_update_history_asks_the_transport(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    session = await connect_session(RealtimeAgent("a"))
    transport.emit_item(user("u1"))
    transport.emit_item(user("u2", "u1"))
    await settle(session)
    await session.update_history(lambda old: [i for i in old if i.item_id != "u1"])
    call = await transport.expect_call("reset_history")
    assert [i.item_id for i in call.args["old_history"]] == ["u1", "u2"]
    assert [i.item_id for i in call.args["new_history"]] == ["u2"]
    await session.update_history([])
    assert (await transport.expect_call("reset_history")).args["new_history"] == []


async def test_update_history_rejects_what_is_not_an_item(
    connect_session: Any, transport: ScriptedRealtimeTransport
) -> None:
    from realtime_agents.errors import UserError

    session = await connect_session(RealtimeAgent("a"))
    with pytest.raises(UserError, match="needs history items, got dict"):
        await session.update_history([{"type": "message"}])  # type: ignore[list-item]


async def test_sessions_store_audio_only_when_asked(transport: ScriptedRealtimeTransport) -> None:
    from session_helpers import make_host

    from realtime_agents.session import RealtimeSession

    for store, expected in ((False, None), (True, "AAAA")):
        session = RealtimeSession(
            RealtimeAgent("a"),
            transport=ScriptedRealtimeTransport(),
            plugin_host=make_host(),
            history_store_audio=store,
        )
        await session.connect()
        session.transport.emit("item_update", assistant("a1", "hi", audio="AAAA"))  # type: ignore[attr-defined]
        await settle(session)
        assert session.history[0].content[0].audio == expected  # type: ignore[union-attr]
        await session.close()
