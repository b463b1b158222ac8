"""A minimal Realtime WebRTC server for the transport's own tests: aiohttp + aiortc.

It is a real peer (HTTP on a loopback port, a real ``RTCPeerConnection`` gathering loopback
candidates only) that does just enough of the API: ``POST /v1/realtime/calls`` (raw SDP or
multipart) → 201 + answer + ``Location``; ``session.created`` on the data channel's open and
``session.updated`` for each ``session.update``; tests then drive it directly (play a tone on
the track with the ``output_audio_buffer`` events, send any event, vanish). The protocol-
faithful server is the emulator; this peer pins down what the transport itself must do.
"""

from __future__ import annotations

import asyncio
import json
import math
import struct
from typing import Any

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from realtime_agents_webrtc._ice import host_addresses
from realtime_agents_webrtc._media import PacedInput, ReplyDecoder


def tone(ms: int, hz: float = 440.0, amplitude: float = 0.3) -> bytes:
    """PCM16 24 kHz mono sine."""
    n = 24 * ms
    peak = int(amplitude * 32767)
    return struct.pack(
        f"<{n}h", *(int(peak * math.sin(2 * math.pi * hz * i / 24000)) for i in range(n))
    )


class Call:
    """One call on the peer: its connection, data channel, output track, what it received."""

    def __init__(self, pc: RTCPeerConnection, call_id: str) -> None:
        self.pc = pc
        self.call_id = call_id
        self.output = PacedInput()
        self.channel: Any = None
        self.received: list[dict[str, Any]] = []
        self.heard = bytearray()  # the client's audio, decoded to PCM16 24 kHz mono
        self.opened = asyncio.Event()
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    def on_message(self, message: str) -> None:
        event = json.loads(message)
        self.received.append(event)
        self._changed.set()
        if event.get("type") == "session.update":
            self.send(
                {
                    "type": "session.updated",
                    "event_id": "ev_u",
                    "session": {"type": "realtime", "object": "realtime.session", "id": "sess_1"},
                }
            )

    async def wait_for(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for event in self.received:
                    if event.get("type") == kind:
                        return event
                self._changed.clear()
                await self._changed.wait()

    def listen(self, track: MediaStreamTrack) -> None:
        task = asyncio.get_running_loop().create_task(self._listen(track))
        self._tasks.add(task)

    async def _listen(self, track: MediaStreamTrack) -> None:
        decoder = ReplyDecoder()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.heard += decoder.decode(frame)  # type: ignore[arg-type]

    async def speak(self, pcm: bytes, response_id: str = "resp_1", item_id: str = "item_1") -> None:
        """Play ``pcm`` as a reply, framed by the output audio buffer events."""
        self.send(
            {
                "type": "response.content_part.added",
                "event_id": "ev_p",
                "response_id": response_id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "audio", "transcript": ""},
            }
        )
        self.send(
            {"type": "output_audio_buffer.started", "event_id": "ev_s", "response_id": response_id}
        )
        await self.output.feed(pcm)
        await self.output.played()
        self.send(
            {"type": "output_audio_buffer.stopped", "event_id": "ev_t", "response_id": response_id}
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.output.stop()
        await self.pc.close()


class RTCPeer:
    """The server: ``start()``, ``calls_url``, ``calls``; ``status``/``body`` force an error."""

    def __init__(self, api_key: str = "sk-peer-0123456789") -> None:
        self.api_key = api_key
        self.calls: list[Call] = []
        self.requests: list[dict[str, Any]] = []
        self.answer_sdp: str | None = None  # replaces the real answer when set
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def calls_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/realtime/calls"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/realtime/calls", self._create)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for call in self.calls:
            await call.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _create(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        record: dict[str, Any] = {"content_type": request.content_type, "auth": auth}
        self.requests.append(record)
        if request.content_type == "multipart/form-data":
            form = await request.post()
            offer = bytes(form["sdp"]).decode() if not isinstance(form["sdp"], str) else form["sdp"]
            session = form["session"]
            record["session"] = json.loads(
                bytes(session) if not isinstance(session, str) else session
            )
        else:
            offer = await request.text()
        if auth not in (f"Bearer {self.api_key}", "Bearer ek_peer"):
            return web.json_response(
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                        "message": f"Incorrect API key provided: {auth[7:]}.",
                    }
                },
                status=401,
            )
        if not offer.startswith("v=0"):
            return web.json_response({"error": {"message": "Invalid SDP offer."}}, status=400)
        call = Call(RTCPeerConnection(RTCConfiguration(iceServers=[])), f"rtc_{len(self.calls)}")
        self.calls.append(call)
        call.pc.addTrack(call.output)

        @call.pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            call.channel = channel
            channel.on("message", call.on_message)
            call.send(
                {
                    "type": "session.created",
                    "event_id": "ev_c",
                    "session": {"type": "realtime", "object": "realtime.session", "id": "sess_1"},
                }
            )
            call.opened.set()

        call.pc.on("track", call.listen)
        await call.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        with host_addresses(["127.0.0.1"]):
            await call.pc.setLocalDescription(await call.pc.createAnswer())
        sdp = self.answer_sdp or call.pc.localDescription.sdp
        return web.Response(
            status=201,
            text=sdp,
            content_type="application/sdp",
            headers={"Location": f"/v1/realtime/calls/{call.call_id}"},
        )
