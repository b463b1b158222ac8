"""Output audio pacing: real time by default, a speed factor, 0 = as fast as possible."""

from __future__ import annotations

import time

import pytest
from emulator_helpers import Raw

from realtime_agents_emulator import Rule, RulesBrain, Say
from realtime_agents_emulator.responses import Pacing

SIX_HUNDRED_MS = RulesBrain([Rule(then=[Say("paced", audio_ms=600)])])


async def stream_seconds(make_emulator, speed: float) -> float:
    emu = await make_emulator(brain=SIX_HUNDRED_MS, audio_speed=speed)
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({"type": "response.create"})
        await raw.recv_until("response.output_audio.delta")
        first = time.monotonic()
        events = await raw.recv_until("response.done")
    assert sum(e["type"] == "response.output_audio.delta" for e in events) == 5
    return time.monotonic() - first


async def test_real_time_pacing(make_emulator) -> None:
    # Six 100 ms deltas: the last one is due 500 ms after the first.
    assert 0.45 <= await stream_seconds(make_emulator, 1.0) < 1.0


async def test_speed_factor(make_emulator) -> None:
    assert 0.08 <= await stream_seconds(make_emulator, 5.0) < 0.4


async def test_as_fast_as_possible(make_emulator) -> None:
    assert await stream_seconds(make_emulator, 0) < 0.2


def test_pacing_is_validated() -> None:
    with pytest.raises(ValueError, match="multiple of 20"):
        Pacing(1.0, 30)
    with pytest.raises(ValueError, match=">= 0"):
        Pacing(-1.0)


async def test_chunk_size(make_emulator) -> None:
    emu = await make_emulator(brain=SIX_HUNDRED_MS, audio_chunk_ms=20)
    async with await Raw.connect(emu) as raw:
        await raw.recv()
        await raw.send({"type": "response.create"})
        events = await raw.recv_until("response.done")
    assert sum(e["type"] == "response.output_audio.delta" for e in events) == 30
