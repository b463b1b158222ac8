"""A raw aiortc client for the emulator's WebRTC endpoint, and audio measurements.

The client is plain aiortc (no realtime-agents code): a peer connection with the ``oai-events``
data channel and one audio transceiver, whose offer is POSTed to ``/v1/realtime/calls`` as raw
SDP or multipart. Its host candidates are limited to 127.0.0.1 by a wrapper of its own around
``aioice.ice.get_host_addresses``, which chains with the emulator's (each answers only while its
own context variable is set).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fractions
import json
import math
from array import array
from collections.abc import Iterator
from typing import Any

import aiohttp
import aioice.ice
import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from realtime_agents_emulator import Emulator, EventLog

RATE = 24000
FRAME_SAMPLES = 480  # 20 ms
FRAME_BYTES = 2 * FRAME_SAMPLES

CLIENT_ADDRESSES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "test_client_host_addresses", default=None
)
_wrapped: list[Any] = []


def install_client_addresses() -> None:
    """Wrap ``get_host_addresses`` once: while CLIENT_ADDRESSES is set, return it."""
    if _wrapped:
        return
    inner = aioice.ice.get_host_addresses
    _wrapped.append(inner)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = CLIENT_ADDRESSES.get()
        if addresses is not None:
            return list(addresses)
        return inner(use_ipv4=use_ipv4, use_ipv6=use_ipv6)

    aioice.ice.get_host_addresses = get_host_addresses


@contextlib.contextmanager
def client_addresses(addresses: list[str]) -> Iterator[None]:
    install_client_addresses()
    token = CLIENT_ADDRESSES.set(addresses)
    try:
        yield
    finally:
        CLIENT_ADDRESSES.reset(token)


class Microphone(MediaStreamTrack):
    """A paced audio track of 20 ms PCM16 mono 24 kHz frames: what :meth:`say` queued, else
    silence."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queued = bytearray()
        self._pts = 0
        self._start: float | None = None

    def say(self, pcm: bytes) -> None:
        self._queued += pcm

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += FRAME_SAMPLES
            await asyncio.sleep(max(0.0, self._start + self._pts / RATE - loop.time()))
        data = bytes(self._queued[:FRAME_BYTES]).ljust(FRAME_BYTES, b"\0")
        del self._queued[:FRAME_BYTES]
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(data)
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class RtcClient:
    """One call from the client side: ``events`` (server events on the data channel, an
    :class:`EventLog`), ``audio`` (what the reply track played, PCM16 mono 24 kHz),
    ``microphone`` (say something), ``call_id``."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = self.pc.createDataChannel("oai-events")
        self.microphone = Microphone()
        self.pc.addTrack(self.microphone)
        self.events = EventLog()
        self.audio = bytearray()
        self._audio_grew = asyncio.Condition()
        self.call_id: str | None = None
        self.opened = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.channel.on("open", self.opened.set)
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)

    def _on_message(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            return  # frames injected by fault tests; they read the channel themselves
        if isinstance(event, dict):
            self.events.record(event)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, av.AudioFrame)
            for out in resampler.resample(frame):
                self.audio += bytes(out.planes[0])[: 2 * out.samples]
            async with self._audio_grew:
                self._audio_grew.notify_all()

    async def wait_for_audio(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate(audio so far)`` holds."""
        async with asyncio.timeout(timeout), self._audio_grew:
            await self._audio_grew.wait_for(lambda: predicate(bytes(self.audio)))

    async def offer(self) -> str:
        with client_addresses(["127.0.0.1"]):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def post_raw(
        self, emu: Emulator, key: str | None, sdp: str | None = None, query: str = ""
    ) -> Posted:
        """POST the offer as raw SDP (``query`` is appended to the URL)."""
        headers = {"Content-Type": "application/sdp"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        offer = sdp if sdp is not None else await self.offer()
        return await post(emu, offer, headers, query)

    async def post_multipart(
        self, emu: Emulator, key: str, session: dict[str, Any] | None = None
    ) -> Posted:
        form = aiohttp.FormData()
        form.add_field("sdp", await self.offer(), content_type="application/sdp")
        if session is not None:
            form.add_field("session", json.dumps(session), content_type="application/json")
        return await post(emu, form, {"Authorization": f"Bearer {key}"})

    async def accept(self, response: Posted) -> None:
        """Complete the connection with a 201 answer; wait for the data channel."""
        assert response.status == 201, response.body
        self.call_id = response.headers["Location"].rsplit("/", 1)[-1]
        await self.pc.setRemoteDescription(RTCSessionDescription(response.body, "answer"))
        await asyncio.wait_for(self.opened.wait(), 5)

    async def connect(self, emu: Emulator, key: str = "sk-test", **session: Any) -> None:
        """Connect with multipart (an API key) and a session config, or raw SDP (an ek_ key)."""
        if key.startswith("ek_"):
            await self.accept(await self.post_raw(emu, key))
        else:
            await self.accept(await self.post_multipart(emu, key, {"type": "realtime", **session}))

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    async def close(self) -> None:
        await self.pc.close()
        self.microphone.stop()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


class Posted:
    """What a POST returned: status, headers, body text."""

    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


async def post(
    emu: Emulator, data: Any, headers: dict[str, str], query: str = "", path: str = ""
) -> Posted:
    """POST to ``/v1/realtime/calls`` + ``path`` (+ ``?query``); what came back."""
    url = f"{emu.base_url}/realtime/calls{path}" + (f"?{query}" if query else "")
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=data, headers=headers) as r:
            return Posted(r.status, dict(r.headers), await r.text())


# -- audio measurements -------------------------------------------------------------------------


def frames(pcm: bytes) -> list[array[int]]:
    """PCM16 as 20 ms frames of samples."""
    out = []
    for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        samples = array("h")
        samples.frombytes(pcm[start : start + FRAME_BYTES])
        out.append(samples)
    return out


def rms_dbfs(samples: array[int]) -> float:
    if not samples:
        return -math.inf
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return 20 * math.log10(rms / 32768) if rms else -math.inf


def voiced_ms(pcm: bytes, threshold_dbfs: float = -40.0) -> int:
    """Milliseconds of 20 ms frames at least ``threshold_dbfs`` loud."""
    return 20 * sum(1 for f in frames(pcm) if rms_dbfs(f) >= threshold_dbfs)


def voiced(pcm: bytes, threshold_dbfs: float = -40.0) -> bytes:
    """Only the loud 20 ms frames, concatenated."""
    return b"".join(f.tobytes() for f in frames(pcm) if rms_dbfs(f) >= threshold_dbfs)


def frequency_hz(pcm: bytes) -> float:
    """The fundamental of a (two-harmonic) tone: upward zero crossings per second, measured
    between the first and the last crossing (so partial periods at the edges do not count)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    ups = [n for n in range(1, len(samples)) if samples[n - 1] < 0 <= samples[n]]
    if len(ups) < 2:
        return 0.0
    return (len(ups) - 1) * RATE / (ups[-1] - ups[0])
