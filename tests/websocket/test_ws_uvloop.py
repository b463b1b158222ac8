"""The transport under uvloop (the event loop applications pick for speed), with each codec,
against the emulator.

uvloop's stream transports are not ``asyncio.Transport`` subclasses: a channel that checked
for that class failed every connection under uvloop (found by benchmarks/concurrent_sessions.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import uvloop

from realtime_agents.protocol.codec import STDLIB_CODEC, fast_codec, use_codec
from realtime_agents_emulator import Emulator
from realtime_agents_websocket import OpenAIRealtimeWebSocket


@pytest.fixture(params=["stdlib", "speed"])
def codec(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both codecs over real sockets: the standard library's and the [speed] extra's."""
    chosen = STDLIB_CODEC if request.param == "stdlib" else fast_codec()
    assert chosen is not None, "the dev environment installs the [speed] extra"
    use_codec(chosen)
    yield chosen.name
    use_codec(None)


@pytest.mark.parametrize("backend", ["sansio", "websockets"])
def test_a_turn_both_ways_under_uvloop(backend: str, codec: str) -> None:
    async def main() -> tuple[int, list[str]]:
        async with Emulator(port=0, audio_speed=0, speech="synthetic") as emulator:
            transport = OpenAIRealtimeWebSocket(url=emulator.ws_url, backend=backend)
            heard: list[bytes] = []
            errors: list[str] = []
            transport.on("audio", lambda event: heard.append(event.data))
            transport.on("error", lambda event: errors.append(repr(event)))
            await transport.connect(api_key="sk-test-uvloop-0123456789")
            assert transport.protocol is not None
            assert transport.protocol.codec.name == codec
            await transport.send_audio(b"\x00\x01" * 480)
            await transport.send_message("hello")
            await transport.wait_for("turn_done", timeout=30)
            await transport.close()
            return sum(len(chunk) for chunk in heard), errors

    audio_bytes, errors = uvloop.run(main())
    assert audio_bytes > 0
    assert errors == []
