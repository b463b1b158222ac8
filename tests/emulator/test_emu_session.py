"""The transport-independent Session, driven directly (as a WebRTC data channel would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from emulator_helpers import b64, speech, user_text, validate_server_events

from realtime_agents_emulator import EchoBrain
from realtime_agents_emulator.ids import IdFactory
from realtime_agents_emulator.responses import Pacing
from realtime_agents_emulator.session import Session, SessionOptions
from realtime_agents_emulator.synth import SpeechSynthesizer


class Harness:
    def __init__(self, transport: str = "websocket") -> None:
        self.events: list[dict[str, Any]] = []
        self.closes: list[tuple[int, str]] = []
        self.crashes: list[BaseException] = []
        options = SessionOptions(
            EchoBrain(), SpeechSynthesizer("synthetic"), Pacing(0), IdFactory(7), transport
        )
        self.session = Session(
            kind="realtime",
            model="gpt-realtime",
            options=options,
            sink=self.events.append,
            on_close=lambda code, reason: self.closes.append((code, reason)),
            on_crash=self.crashes.append,
        )

    def send(self, event: dict[str, Any]) -> None:
        self.session.handle(event)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def settle(self) -> None:
        for _ in range(200):
            if self.session.active_response_id is None:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("response did not finish")


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    harness = Harness()
    harness.session.start()
    yield harness
    await harness.session.close()
    validate_server_events(harness.events)
    assert harness.crashes == []


async def test_ids_are_reproducible_with_a_seed() -> None:
    first, second = Harness(), Harness()
    assert first.session.id == second.session.id
    for h in (first, second):
        await h.session.close()


async def test_item_reference_input_and_unknown_reference(harness: Harness) -> None:
    harness.send({"type": "conversation.item.create", "item": {**user_text("ref me"), "id": "i1"}})
    harness.send({"type": "conversation.item.create", "item": user_text("latest")})
    harness.send(
        {
            "type": "response.create",
            "response": {
                "output_modalities": ["text"],
                "input": [{"type": "item_reference", "id": "i1"}],
            },
        }
    )
    await harness.settle()
    done = harness.of_type("response.done")[-1]["response"]
    assert done["output"][0]["content"][0]["text"] == "You said: ref me"
    harness.send(
        {
            "type": "response.create",
            "response": {"input": [{"type": "item_reference", "id": "missing"}]},
        }
    )
    error = harness.of_type("error")[-1]["error"]
    assert (error["code"], error["param"]) == ("item_not_found", "response.input[0].id")


async def test_response_items_follow_the_last_item(harness: Harness) -> None:
    harness.send({"type": "conversation.item.create", "item": {**user_text("hi"), "id": "u1"}})
    harness.send({"type": "response.create"})
    await harness.settle()
    added = harness.of_type("conversation.item.added")
    assert [a["previous_item_id"] for a in added] == [None, "u1"]
    assistant_id = added[1]["item"]["id"]
    done_items = harness.of_type("conversation.item.done")
    assert done_items[-1]["item"]["id"] == assistant_id
    assert done_items[-1]["previous_item_id"] == "u1"


async def test_audio_items_created_by_the_client_are_audio_turns(harness: Harness) -> None:
    item = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_audio", "audio": b64(speech(200))}],
    }
    harness.send({"type": "conversation.item.create", "item": item})
    added = harness.of_type("conversation.item.added")[-1]["item"]
    assert added["content"] == [{"type": "input_audio", "transcript": None}]
    harness.send({"type": "conversation.item.retrieve", "item_id": added["id"]})
    retrieved = harness.of_type("conversation.item.retrieved")[-1]["item"]
    assert retrieved["content"][0]["audio"] == b64(speech(200))
    harness.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    await harness.settle()
    done = harness.of_type("response.done")[-1]["response"]
    assert done["output"][0]["content"][0]["text"] == "You said: Hello."


async def test_client_supplied_transcript_is_what_the_model_hears(harness: Harness) -> None:
    item = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_audio", "audio": b64(speech(100)), "transcript": "Bonjour"}],
    }
    harness.send({"type": "conversation.item.create", "item": item})
    harness.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
    await harness.settle()
    done = harness.of_type("response.done")[-1]["response"]
    assert done["output"][0]["content"][0]["text"] == "You said: Bonjour"


async def test_session_close_asks_the_transport_to_close(harness: Harness) -> None:
    harness.send({"type": "session.close"})
    assert harness.closes == [(1000, "session closed by client")]


async def test_webrtc_transport_accepts_output_audio_buffer_clear() -> None:
    harness = Harness("webrtc")
    harness.send({"type": "output_audio_buffer.clear"})
    assert harness.of_type("output_audio_buffer.cleared") == [
        {
            "type": "output_audio_buffer.cleared",
            "event_id": harness.events[-1]["event_id"],
            "response_id": "",
        }
    ]
    await harness.session.close()


async def test_nothing_is_emitted_after_close(harness: Harness) -> None:
    harness.send({"type": "response.create"})
    await harness.session.close()
    count = len(harness.events)
    harness.send({"type": "input_audio_buffer.clear"})
    await asyncio.sleep(0.01)
    assert len(harness.events) == count
