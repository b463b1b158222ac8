"""TwilioRealtimeTransportLayer end to end, over real sockets: the Twilio double dials an
aiohttp server that bridges each call to the emulator (the Realtime side)."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from twilio_helpers import VAD, BridgeServer, ReplyBrain, serve

from realtime_agents.events import ConnectionStatus
from realtime_agents.testing import TwilioMediaStreamPeer, mulaw_silence, mulaw_tone
from realtime_agents_emulator import Emulator
from realtime_agents_twilio import TwilioBacklogError, TwilioDtmfEvent
from realtime_agents_twilio.messages import TwilioMessageError

PCMU = {"type": "audio/pcmu"}


def mark_bytes(name: str) -> int:
    """The item bytes a mark stands for (``<item>:<bytes>:g<gen>:m<seq>``)."""
    return int(name.split(":")[1])


def mark_item(name: str) -> str:
    return name.split(":")[0]


@pytest.fixture
async def server(make_emulator: Any, request: pytest.FixtureRequest) -> AsyncIterator[BridgeServer]:
    params: dict[str, Any] = dict(getattr(request, "param", {}))
    brain = ReplyBrain(params.pop("reply_ms", 400))
    emu: Emulator = await make_emulator(brain=brain, audio_speed=params.pop("audio_speed", 0))
    options = params
    options.setdefault("config", VAD)
    async for bridge in serve(emu, **options):
        yield bridge


async def dial(server: BridgeServer) -> TwilioMediaStreamPeer:
    peer = await TwilioMediaStreamPeer.dial(server.url)
    await server.transport()
    return peer


async def test_a_caller_turn_and_a_reply_heard_to_the_end(server: BridgeServer) -> None:
    peer = await dial(server)
    transport = await server.transport()
    conn = server.emu.connections[-1]
    caller = mulaw_tone(600) + mulaw_silence(800)
    await peer.say(caller)
    done = await conn.wait_for_server_event("response.done", timeout=10)
    item_id = done["response"]["output"][0]["id"]
    # The caller hears the whole reply: every mark comes back as played.
    await peer.wait_until(lambda: len(peer.heard_marks) == len(peer.of("mark")) > 0)
    assert peer.violations == []
    frames = [base64.b64decode(m["media"]["payload"]) for m in peer.of("media")]
    assert {len(f) for f in frames} == {160}  # 20 ms frames, whatever the deltas were
    assert len(peer.played) == len(b"".join(frames))
    assert mark_bytes(peer.heard_marks[-1]) == 400 * 8  # the reply's µ-law bytes, all heard
    assert {mark_item(name) for name in peer.heard_marks} == {item_id}
    # The caller's µ-law reached the Realtime API as it was: no re-encoding.
    appended = [
        base64.b64decode(e["audio"])
        for e in conn.client_events
        if e["type"] == "input_audio_buffer.append"
    ]
    assert b"".join(appended) == caller
    update = await conn.wait_for_client_event("session.update")
    assert update["session"]["audio"]["input"]["format"] == PCMU
    assert update["session"]["audio"]["output"]["format"] == PCMU
    # Heard to the end: interrupting now stops nothing, so no truncate and no clear.
    await transport.interrupt()
    await transport.send_event({"type": "input_audio_buffer.clear"})
    await conn.wait_for_client_event("input_audio_buffer.clear")
    assert not [e for e in conn.client_events if e["type"] == "conversation.item.truncate"]
    assert peer.of("clear") == []
    await peer.hang_up()


@pytest.mark.parametrize(
    ("server", "all_sent"),
    [({"reply_ms": 3000}, True), ({"reply_ms": 3000, "audio_speed": 1}, False)],
    ids=["reply-all-sent", "reply-still-streaming"],
    indirect=["server"],
)
async def test_barge_in_clears_twilio_and_truncates_at_the_last_heard_mark(
    server: BridgeServer, all_sent: bool
) -> None:
    peer = await dial(server)
    transport = await server.transport()
    order: list[str] = []
    transport.on("turn_done", lambda e: order.append("turn_done"))
    transport.on("audio_interrupted", lambda e: order.append("audio_interrupted"))
    conn = server.emu.connections[-1]
    await peer.say(mulaw_tone(600) + mulaw_silence(800))
    added = await conn.wait_for_server_event("response.output_item.added", timeout=10)
    item_id = added["item"]["id"]
    await peer.wait_until(lambda: len(peer.played) >= 800 * 8)  # 0.8 s of 3 s heard
    heard_before = len(peer.played)
    await peer.say(mulaw_tone(600))  # the caller talks over the reply
    truncate = await conn.wait_for_client_event("conversation.item.truncate", timeout=10)
    await peer.wait_until(lambda: bool(peer.of("clear")))
    if "turn_done" not in order:  # the server ends the reply it was still sending
        await transport.wait_for("turn_done", timeout=10)
    # Sent whole before the barge-in or not, the reply stops where the caller was.
    expected = ["turn_done", "audio_interrupted"] if all_sent else ["audio_interrupted"]
    assert order[: len(expected)] == expected
    assert truncate["item_id"] == item_id
    end = truncate["audio_end_ms"] * 8
    heard = [mark_bytes(n) for n in peer.heard_marks if mark_item(n) == item_id]
    assert end in heard  # exactly a mark the caller heard...
    assert heard_before <= end <= peer.played_at_clear[0]  # ...the last one reported
    truncated = await conn.wait_for_server_event("conversation.item.truncated")
    assert truncated["audio_end_ms"] == truncate["audio_end_ms"]
    assert not [e for e in conn.server_events if e["type"] == "error"]
    # Nothing of the interrupted item was sent after the clear.
    after = peer.received[peer.received.index(peer.of("clear")[0]) + 1 :]
    marks_after = [m["mark"]["name"] for m in after if m["event"] == "mark"]
    assert [name for name in marks_after if mark_item(name) == item_id] == []
    assert peer.violations == []
    await peer.hang_up()


@pytest.mark.parametrize("server", [{"reply_ms": 3000}], indirect=True)
async def test_barge_in_before_any_mark_came_back_truncates_at_zero(
    server: BridgeServer,
) -> None:
    # A slow line: the first 20 ms frame takes 400 ms to play, so no mark has come back
    # when the caller talks. Nothing was heard, whatever the clock says.
    peer = await TwilioMediaStreamPeer.dial(server.url, speed=0.05)
    conn = await server.emu.wait_for_connection(timeout=10)
    await peer.say(mulaw_tone(600) + mulaw_silence(800), pace=False)
    await peer.wait_until(lambda: bool(peer.of("media")))
    await peer.say(mulaw_tone(600), pace=False)
    truncate = await conn.wait_for_client_event("conversation.item.truncate", timeout=10)
    assert truncate["audio_end_ms"] == 0
    assert peer.heard_marks == []
    await peer.wait_until(lambda: bool(peer.of("clear")))
    await peer.hang_up()


async def test_a_session_update_cannot_take_the_call_off_mulaw(
    server: BridgeServer, caplog: pytest.LogCaptureFixture
) -> None:
    peer = await dial(server)
    transport = await server.transport()
    conn = server.emu.connections[-1]
    pcm = {"type": "audio/pcm", "rate": 24000}
    with caplog.at_level(logging.WARNING, logger="realtime_agents_twilio"):
        await transport.update_session_config(
            {"instructions": "pcm please", "audio": {"output": {"format": pcm}}}
        )
    await transport.update_session_config({"instructions": "no formats named"})
    await transport.update_session_config({"instructions": "legacy", "input_audio_format": "pcm16"})
    for instructions in ("pcm please", "no formats named", "legacy"):
        update = await conn.wait_for_client_event(
            "session.update", where=lambda e, i=instructions: e["session"].get("instructions") == i
        )
        audio = update["session"]["audio"]
        assert (audio["input"]["format"], audio["output"]["format"]) == (PCMU, PCMU), instructions
    assert "audio.output.format" in caplog.text
    assert "replaced by audio/pcmu" in caplog.text
    updated = await conn.wait_for_server_event(
        "session.updated", where=lambda e: e["session"].get("instructions") == "legacy"
    )
    assert updated["session"]["audio"]["output"]["format"] == PCMU
    await peer.hang_up()


async def test_the_caller_hanging_up_closes_the_realtime_side(server: BridgeServer) -> None:
    peer = await dial(server)
    transport = await server.transport()
    conn = server.emu.connections[-1]
    await peer.hang_up()
    await transport.wait_stream_end()
    await asyncio.wait_for(conn.wait_closed(), 10)
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert transport.stream_ended


async def test_the_realtime_side_dropping_ends_the_call(server: BridgeServer) -> None:
    peer = await dial(server)
    transport = await server.transport()
    errors: list[Any] = []
    transport.on("error", errors.append)
    await server.emu.connections[-1].drop()
    assert await peer.wait_closed() == 1000  # ended cleanly: the call moves on
    assert transport.status is ConnectionStatus.DISCONNECTED
    assert errors  # the drop itself is reported
    await transport.wait_stream_end()


async def test_closing_the_transport_ends_the_call(server: BridgeServer) -> None:
    peer = await dial(server)
    transport = await server.transport()
    await transport.close()
    assert await peer.wait_closed() == 1000
    with pytest.raises(Exception, match="media stream has ended"):
        await transport.connect(api_key="sk-x", url=server.emu.ws_url)


@pytest.mark.parametrize("server", [{"end_stream_on_close": False}], indirect=True)
async def test_a_kept_stream_survives_the_realtime_side_and_reconnects(
    server: BridgeServer,
) -> None:
    peer = await dial(server)
    transport = await server.transport()
    await server.emu.connections[-1].drop()
    await transport.wait_for("connection_change", lambda e: e.status == "disconnected")
    assert peer.close_code is None
    assert not transport.stream_ended
    await transport.connect(initial_session_config=VAD)
    await peer.press("7")  # the stream is bridged again
    pressed = await transport.wait_for("dtmf", timeout=10)
    assert pressed.digit == "7"
    await transport.end_stream()
    assert await peer.wait_closed() == 1000


async def test_dtmf_and_every_twilio_message_are_published(server: BridgeServer) -> None:
    peer = await dial(server)
    transport = await server.transport()
    digits: list[TwilioDtmfEvent] = []
    messages: list[str] = []
    transport.on("dtmf", digits.append)
    transport.on("twilio_message", lambda m: messages.append(m.event))
    await peer.press("5")
    await peer.press("#")
    got = await transport.wait_for("dtmf", lambda e: e.digit == "#", timeout=10)
    assert [d.digit for d in digits] == ["5", "#"]
    assert got.track == "inbound_track"
    assert got.stream_sid == peer.stream_sid == transport.stream_sid
    assert messages == ["dtmf", "dtmf"]
    assert transport.start_message is not None
    assert transport.start_message["callSid"] == peer.call_sid
    await peer.hang_up()


async def test_bad_twilio_frames_are_errors_and_the_call_goes_on(server: BridgeServer) -> None:
    peer = await dial(server)
    transport = await server.transport()
    errors: list[Any] = []
    transport.on("error", errors.append)
    await peer.send_raw("not json")
    await peer.send_raw(b"\x00binary")
    await peer.send_raw('{"event": "media", "media": {"payload": "%%%"}}')
    await peer.send_raw('{"event": "a-future-event"}')
    await peer.press("1")
    await transport.wait_for("dtmf", timeout=10)
    assert [type(e.error) for e in errors] == [TwilioMessageError] * 3
    assert transport.status is ConnectionStatus.CONNECTED
    await peer.hang_up()


@pytest.mark.parametrize("server", [{"max_queued_bytes": 100}], indirect=True)
async def test_audio_past_the_backlog_bound_is_dropped_and_reported_once(
    server: BridgeServer,
) -> None:
    peer = await dial(server)
    transport = await server.transport()
    errors: list[Any] = []
    transport.on("error", errors.append)
    done = asyncio.Event()
    transport.on("turn_done", lambda e: done.set())
    await peer.say(mulaw_tone(600) + mulaw_silence(800))
    await asyncio.wait_for(done.wait(), 10)
    assert [type(e.error) for e in errors] == [TwilioBacklogError]
    assert "100 bytes are waiting for the Twilio socket" in str(errors[0].error)
    assert peer.of("media") == []
    await peer.hang_up()
