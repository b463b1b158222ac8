"""Helpers for the WebRTC transport tests: building transports, audio measures, fakes."""

from __future__ import annotations

import array
import asyncio
import itertools
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

from realtime_agents_webrtc import OpenAIRealtimeWebRTC

MODEL = "gpt-realtime"


def make(url: str, **options: Any) -> OpenAIRealtimeWebRTC:
    """A transport for a loopback server: no STUN, loopback candidates, no devices."""
    options.setdefault("ice_servers", [])
    options.setdefault("host_addresses", ["127.0.0.1"])
    options.setdefault("microphone", False)
    options.setdefault("speaker", False)
    return OpenAIRealtimeWebRTC(base_url=url, **options)


def samples(pcm: bytes) -> array.array[int]:
    return array.array("h", pcm[: len(pcm) // 2 * 2])


def rms(pcm: bytes) -> float:
    values = samples(pcm)
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def voiced(pcm: bytes, threshold: float = 500.0) -> bytes:
    """The 20 ms chunks of ``pcm`` louder than ``threshold`` RMS, joined."""
    chunks = (pcm[i : i + 960] for i in range(0, len(pcm), 960))
    return b"".join(c for c in chunks if rms(c) > threshold)


def dominant_hz(pcm: bytes, rate: int = 24_000) -> float:
    """A pure tone's frequency from its zero crossings (enough for a sine; no numpy here)."""
    values = samples(pcm)
    crossings = sum(1 for a, b in itertools.pairwise(values) if (a < 0) != (b < 0))
    return crossings / 2 / (len(values) / rate)


def seconds(pcm: bytes) -> float:
    return len(pcm) / 48_000


class FakeMicrophone:
    """A microphone that 'records' the given PCM, 20 ms at a time, then silence."""

    def __init__(self, pcm: bytes) -> None:
        self.pcm = pcm
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.pcm), 960):
            yield self.pcm[i : i + 960]
        while not self.closed:
            await asyncio.sleep(0.02)
            yield bytes(960)

    def close(self) -> None:
        self.closed = True


class FakeDevices:
    """Audio devices backed by memory: ``microphone`` (or None), a recording speaker."""

    def __init__(self, microphone: FakeMicrophone | None = None, speaker: bool = True) -> None:
        self.microphone = microphone
        self.has_speaker = speaker
        self.played = bytearray()
        self.speaker_closed = False

    def open_microphone(self) -> FakeMicrophone | None:
        return self.microphone

    def open_speaker(self) -> tuple[Callable[[bytes], None], Callable[[], None]] | None:
        if not self.has_speaker:
            return None
        return self.played.extend, self._close

    def _close(self) -> None:
        self.speaker_closed = True


async def leftover_tasks() -> list[asyncio.Task[Any]]:
    await asyncio.sleep(0)
    return [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]


def disconnected(transport: OpenAIRealtimeWebRTC, timeout: float = 5.0) -> asyncio.Future[Any]:
    """Subscribe now, await later: the next ``disconnected`` status (bounded)."""
    return asyncio.ensure_future(
        transport.wait_for(
            "connection_change", lambda e: e.status == "disconnected", timeout=timeout
        )
    )
