"""The Twilio double (``realtime_agents.testing.TwilioMediaStreamPeer``) against a bare
websockets server playing the application: what it sends follows Twilio's documented
formats, and it plays, echoes and clears as Twilio does."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from realtime_agents.testing import TwilioMediaStreamPeer, mulaw_silence, mulaw_tone


class App:
    """Records what the double sends; the test sends through ``ws``."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.connected = asyncio.Event()
        self.changed = asyncio.Event()
        self.ws: ServerConnection | None = None

    async def handle(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.connected.set()
        async for frame in ws:
            self.messages.append(json.loads(frame))
            self.changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.messages) < count:
                self.changed.clear()
                await self.changed.wait()

    async def send(self, **message: Any) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))


@pytest.fixture
async def app() -> AsyncIterator[tuple[App, str]]:
    application = App()
    async with serve(application.handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield application, f"ws://127.0.0.1:{port}"


async def test_the_call_starts_and_speaks_in_documented_messages(app: tuple[App, str]) -> None:
    application, url = app
    peer = await TwilioMediaStreamPeer.dial(url, custom_parameters={"caller": "+15550100"})
    await peer.say(mulaw_tone(30), pace=False)
    await peer.press("9")
    await peer.hang_up()
    await application.wait_for(6)
    connected, start, *media, dtmf, stop = application.messages
    assert (connected["event"], connected["protocol"], connected["version"]) == (
        "connected",
        "Call",
        "1.0.0",
    )
    assert start["start"]["mediaFormat"] == {
        "encoding": "audio/x-mulaw",
        "sampleRate": 8000,
        "channels": 1,
    }
    assert start["start"]["customParameters"] == {"caller": "+15550100"}
    assert start["streamSid"] == start["start"]["streamSid"] == peer.stream_sid
    # Strings, as Twilio sends them: sequence numbers, chunks and timestamps.
    numbers = [m["sequenceNumber"] for m in application.messages]
    assert numbers == [str(n) for n in range(1, 7)]
    assert [m["media"]["chunk"] for m in media] == ["1", "2"]
    assert [m["media"]["timestamp"] for m in media] == ["0", "20"]
    audio = [base64.b64decode(m["media"]["payload"]) for m in media]
    assert [len(a) for a in audio] == [160, 80]
    assert b"".join(audio) == mulaw_tone(30)
    assert dtmf["dtmf"] == {"track": "inbound_track", "digit": "9"}
    assert stop["event"] == "stop"
    assert stop["stop"]["callSid"] == peer.call_sid


async def test_marks_come_back_once_played_and_at_once_when_cleared(
    app: tuple[App, str],
) -> None:
    application, url = app
    peer = await TwilioMediaStreamPeer.dial(url)
    await application.connected.wait()
    sid = peer.stream_sid
    payload = base64.b64encode(mulaw_silence(20)).decode()
    await application.send(event="media", streamSid=sid, media={"payload": payload})
    await application.send(event="mark", streamSid=sid, mark={"name": "a"})
    await peer.wait_until(lambda: peer.echoed == ["a"])
    assert len(peer.played) == 160  # "a" came back once the audio before it had played
    peer.speed = 0.01  # 20 ms of audio now plays in 2 s: the clear comes first
    for name in ("b", "c"):
        await application.send(event="media", streamSid=sid, media={"payload": payload})
        await application.send(event="mark", streamSid=sid, mark={"name": name})
    await peer.wait_until(lambda: peer.queued_ms == 40)
    await application.send(event="clear", streamSid=sid)
    await peer.wait_until(lambda: peer.echoed == ["a", "b", "c"])
    assert peer.cleared == ["b", "c"]  # dropped by the clear: echoed, never played
    assert peer.heard_marks == ["a"]
    assert peer.played_at_clear == [160] == [len(peer.played)]
    await application.wait_for(2 + 3)  # connected, start and the three echoes
    echoes = [m for m in application.messages if m["event"] == "mark"]
    assert [m["mark"]["name"] for m in echoes] == ["a", "b", "c"]
    assert all(m["streamSid"] == sid for m in echoes)
    assert peer.violations == []
    await peer.close()


async def test_messages_twilio_would_reject_are_listed(app: tuple[App, str]) -> None:
    application, url = app
    peer = await TwilioMediaStreamPeer.dial(url)
    await application.connected.wait()
    await application.send(event="clear", streamSid="MZ-someone-else")
    await application.send(event="mark", streamSid=peer.stream_sid, mark={"name": "x"}, extra=1)
    await application.send(event="hello")
    await peer.wait_until(lambda: len(peer.violations) == 3)
    assert peer.violations[0] == "clear for stream 'MZ-someone-else'"
    assert peer.violations[1].startswith("mark with fields")
    assert peer.violations[2].startswith("unknown event")
    await peer.close()
    assert await peer.wait_closed() is not None
