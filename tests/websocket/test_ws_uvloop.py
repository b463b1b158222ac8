"""The transport under uvloop (the event loop applications pick for speed), against the emulator.

uvloop's stream transports are not ``asyncio.Transport`` subclasses: a channel that checked
for that class failed every connection under uvloop (found by benchmarks/concurrent_sessions.py).
"""

from __future__ import annotations

import pytest
import uvloop

from realtime_agents_emulator import Emulator
from realtime_agents_websocket import OpenAIRealtimeWebSocket


@pytest.mark.parametrize("backend", ["sansio", "websockets"])
def test_a_turn_both_ways_under_uvloop(backend: str) -> None:
    async def main() -> tuple[int, list[str]]:
        async with Emulator(port=0, audio_speed=0, speech="synthetic") as emulator:
            transport = OpenAIRealtimeWebSocket(url=emulator.ws_url, backend=backend)
            heard: list[bytes] = []
            errors: list[str] = []
            transport.on("audio", lambda event: heard.append(event.data))
            transport.on("error", lambda event: errors.append(repr(event)))
            await transport.connect(api_key="sk-test-uvloop-0123456789")
            await transport.send_audio(b"\x00\x01" * 480)
            await transport.send_message("hello")
            await transport.wait_for("turn_done", timeout=30)
            await transport.close()
            return sum(len(chunk) for chunk in heard), errors

    audio_bytes, errors = uvloop.run(main())
    assert audio_bytes > 0
    assert errors == []
