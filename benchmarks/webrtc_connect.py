"""WebRTC connect time: offer → ready, next to the raw aiortc floor, in one run.

    uv run python benchmarks/webrtc_connect.py              # 10 connects of each
    uv run python benchmarks/webrtc_connect.py --runs 3     # a smoke run

* **floor**: two bare aiortc peer connections in this process, the shape of a Realtime call
  (the offerer adds the ``oai-events`` data channel and one audio transceiver; the answerer
  adds an audio track): ``createOffer`` → the offerer's data channel is open. No HTTP, no
  events: the least any WebRTC client can take here.
* **OpenAIRealtimeWebRTC** against the emulator's WebRTC endpoint (when the plugin is
  installed): ``connect()`` → it returns, i.e. the offer POSTed over HTTP, the answer applied,
  ICE and DTLS done, the data channel open, ``session.update`` sent and ``session.updated``
  received.

DESIGN budget: ours ≤ 1.5× the floor. Both sides gather loopback host candidates only and use
no STUN server (``iceServers=[]``), so nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import statistics
import time
from collections.abc import Iterator
from importlib import metadata
from typing import Any

from _results import Results, add_json_argument


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """aioice gathers only 127.0.0.1 (it has no option for it; a benchmark may patch)."""
    import aioice.ice

    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original


async def floor_once() -> float:
    """Seconds from createOffer to the offerer's data channel opening."""
    from aiortc import RTCConfiguration, RTCPeerConnection
    from aiortc.mediastreams import AudioStreamTrack  # silence

    config = RTCConfiguration(iceServers=[])
    offerer, answerer = RTCPeerConnection(config), RTCPeerConnection(config)
    opened = asyncio.get_running_loop().create_future()
    try:
        channel = offerer.createDataChannel("oai-events")
        channel.on("open", lambda: opened.done() or opened.set_result(None))
        offerer.addTransceiver("audio", direction="sendrecv")
        answerer.addTrack(AudioStreamTrack())
        start = time.perf_counter()
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        await offerer.setRemoteDescription(answerer.localDescription)
        await asyncio.wait_for(opened, 10)
        return time.perf_counter() - start
    finally:
        await offerer.close()
        await answerer.close()


async def ours_once(emulator: Any) -> float:
    """Seconds for ``OpenAIRealtimeWebRTC.connect()`` against the emulator."""
    from realtime_agents_webrtc import OpenAIRealtimeWebRTC

    transport = OpenAIRealtimeWebRTC(
        base_url=f"{emulator.base_url}/realtime/calls",
        ice_servers=[],
        host_addresses=["127.0.0.1"],
    )
    start = time.perf_counter()
    await transport.connect(api_key="sk-bench-0123456789abcdef", model="gpt-realtime")
    elapsed = time.perf_counter() - start
    await transport.close()
    return elapsed


def _ours_available() -> bool:
    try:
        from realtime_agents_webrtc import OpenAIRealtimeWebRTC  # noqa: F401
    except ImportError:
        return False
    return True


def _row(name: str, samples: list[float], floor: float | None) -> str:
    median = statistics.median(samples) * 1000
    ratio = f"{median / floor:.2f}×" if floor else "1.00×"
    return (
        f"| {name} | {median:.1f} | {min(samples) * 1000:.1f} | {max(samples) * 1000:.1f} "
        f"| {ratio} |"
    )


async def main(runs: int, results: Results) -> None:
    print(
        f"WebRTC connect, ms (n={runs}; {platform.python_version()}, aiortc "
        f"{metadata.version('aiortc')}, loopback host candidates only)"
    )
    print("| client | median | min | max | vs floor |")
    print("|---|---:|---:|---:|---:|")
    with loopback_only():
        await floor_once()  # warm-up: imports, first DTLS certificate
        floor = [await floor_once() for _ in range(runs)]
    floor_ms = statistics.median(floor) * 1000
    print(_row("floor: bare aiortc pair, offer → data channel open", floor, None))
    if not _ours_available():
        print("| OpenAIRealtimeWebRTC | (realtime-agents-webrtc not installed) | | | |")
        results.add("connect ms: OpenAIRealtimeWebRTC", None, "ms", note="not installed")
        return
    from realtime_agents_emulator import Emulator

    emulator = Emulator(audio_speed=1.0, speech="synthetic")
    await emulator.start()
    try:
        await ours_once(emulator)  # warm-up
        ours = [await ours_once(emulator) for _ in range(runs)]
    finally:
        await emulator.stop()
    print(_row("OpenAIRealtimeWebRTC vs emulator, connect()", ours, floor_ms))
    results.add(
        "connect ms: OpenAIRealtimeWebRTC vs emulator (offer → session.updated)",
        statistics.median(ours) * 1000,
        "ms",
        floor="bare aiortc pair, offer → data channel open",
        floor_value=floor_ms,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="connects of each (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 connects of each")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results = Results("webrtc_connect", quick=args.quick)
    asyncio.run(main(3 if args.quick else args.runs, results))
    results.write(args.json)
