"""Concurrent WebRTC sessions on this machine: audio both ways, counted underruns.

    uv run python benchmarks/webrtc_sessions.py                  # N = 8, 16, 24
    uv run python benchmarks/webrtc_sessions.py --sizes 16 --seconds 10
    uv run python benchmarks/webrtc_sessions.py --quick          # N = 2, 3 s: a smoke run

DESIGN budget: ≥ 16 concurrent WebRTC sessions on this 2-core machine without audio
underruns. For each N:

* The emulator runs in a process of its own pinned to CPU 0 (its WebRTC endpoint: one aiortc
  peer connection per call, Opus both ways, the reply paced in real time); the N
  ``OpenAIRealtimeWebRTC`` clients all run in this process, pinned to CPU 1.
* Each client connects (loopback host candidates, no STUN), streams 20 ms frames of a quiet
  tone through ``send_audio`` on a 20 ms grid (turn detection is off: the emulator only has to
  decode it), and, once all N are connected, asks for one long reply (``send_message``).
* For ``--seconds`` after a 1 s warm-up, each client's ``audio_sink`` records when each decoded
  chunk of the reply arrives. An **underrun** is a gap of more than 60 ms between chunks (three
  20 ms frames missing: a player with a 40 ms jitter buffer runs dry). Also: received audio as
  a share of real time, the clients' CPU (``process_time`` / wall, one core = 100 %) and the
  emulator's (from ``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import multiprocessing
import os
import platform
import struct
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from _results import Results, add_json_argument

KEY = "sk-bench-0123456789abcdef"
PERIOD = 0.020
GAP = 0.060  # a gap longer than this in the reply is an underrun
CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
CONFIG = {"audio": {"input": {"turn_detection": None}}}
#: 20 ms of a quiet 220 Hz tone, PCM16 mono 24 kHz (silence would let Opus send almost nothing).
FRAME = b"".join(
    struct.pack("<h", int(800 * math.sin(2 * math.pi * 220 * i / 24000))) for i in range(480)
)


def pin(index: int) -> None:
    if len(CPUS) > 1:
        os.sched_setaffinity(0, {CPUS[index]})


def serve(conn: Any, speech_ms: int, cpu: int | None) -> None:
    """Child process: the emulator, until the parent says stop."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    from realtime_agents_emulator import Emulator, Rule, RulesBrain, Say

    async def main() -> None:
        brain = RulesBrain([Rule(then=[Say("a long story", audio_ms=speech_ms)])])
        async with Emulator(
            audio_speed=1.0, brain=brain, speech="synthetic", record_events=False
        ) as emu:
            conn.send(emu.base_url)
            loop = asyncio.get_running_loop()
            while await loop.run_in_executor(None, conn.recv) != "stop":
                pass

    asyncio.run(main())
    conn.send("stopped")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class Client:
    base_url: str
    arrivals: list[tuple[float, int]] = field(default_factory=list)
    transport: Any = None
    sender: asyncio.Task[None] | None = None

    def sink(self, pcm: bytes) -> None:
        self.arrivals.append((time.monotonic(), len(pcm)))

    async def connect(self) -> None:
        from realtime_agents_webrtc import OpenAIRealtimeWebRTC

        self.transport = OpenAIRealtimeWebRTC(
            base_url=f"{self.base_url}/realtime/calls",
            audio_sink=self.sink,
            microphone=False,
            speaker=False,
        )
        await self.transport.connect(api_key=KEY, initial_session_config=CONFIG)

    async def send_loop(self) -> None:
        # send_audio feeds the transport's own paced track: a frame per period keeps it fed.
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            await self.transport.send_audio(FRAME)
            due += PERIOD
            await asyncio.sleep(max(0.0, due - loop.time()))


@dataclass
class Result:
    n: int
    connected: int
    underruns: int
    worst_gap_ms: float
    received: float  # received audio / wall time in the window, mean over clients
    client_cpu: float
    emulator_cpu: float


def measure(clients: list[Client], start: float, end: float) -> tuple[int, float, float]:
    underruns, worst, shares = 0, 0.0, []
    for client in clients:
        times = [(t, n) for t, n in client.arrivals if start <= t <= end]
        if not times:
            shares.append(0.0)
            underruns += 1
            continue
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(times)]
        underruns += sum(1 for gap in gaps if gap > GAP)
        worst = max([worst, *gaps])
        shares.append(sum(n for _, n in times) / 48 / 1000 / (end - start))
    return underruns, worst * 1000, sum(shares) / len(shares)


async def run(n: int, seconds: float, base_url: str, emulator_pid: int) -> Result:
    clients = [Client(base_url) for _ in range(n)]
    results = await asyncio.gather(*(c.connect() for c in clients), return_exceptions=True)
    live = [c for c, r in zip(clients, results, strict=True) if not isinstance(r, BaseException)]
    try:
        for client in live:
            client.sender = asyncio.create_task(client.send_loop())
        await asyncio.gather(*(c.transport.send_message("tell me a story") for c in live))
        await asyncio.sleep(1.0)  # warm-up: the replies start
        start, cpu0, emu0 = time.monotonic(), time.process_time(), cpu_seconds(emulator_pid)
        await asyncio.sleep(seconds)
        end, cpu1, emu1 = time.monotonic(), time.process_time(), cpu_seconds(emulator_pid)
    finally:
        for client in live:
            if client.sender is not None:
                client.sender.cancel()
        await asyncio.gather(*(c.transport.close() for c in clients), return_exceptions=True)
    underruns, worst, share = measure(live, start, end)
    wall = end - start
    return Result(
        n,
        len(live),
        underruns + (n - len(live)),
        worst,
        share,
        100 * (cpu1 - cpu0) / wall,
        100 * (emu1 - emu0) / wall,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,16,24", help="session counts (default 8,16,24)")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per size")
    parser.add_argument("--quick", action="store_true", help="N = 2 for 3 s: a smoke run")
    add_json_argument(parser)
    args = parser.parse_args()
    results = Results("webrtc_sessions", quick=args.quick)
    sizes = [2] if args.quick else [int(s) for s in args.sizes.split(",")]
    seconds = 3.0 if args.quick else args.seconds
    speech_ms = int((seconds + 4) * 1000)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(child, speech_ms, CPUS[0] if len(CPUS) > 1 else None), daemon=True
    )
    server.start()
    base_url = parent.recv()
    pin(1)
    print(
        f"Concurrent WebRTC sessions, audio both ways ({platform.python_version()}, aiortc "
        f"{metadata.version('aiortc')}, {len(CPUS) or '?'} CPUs; emulator on CPU 0, clients on "
        f"CPU 1; {seconds:.0f} s measured; underrun = a gap over {GAP * 1000:.0f} ms)"
    )
    print(
        "| sessions | connected | underruns | worst gap ms | audio / real time "
        "| client CPU | emulator CPU |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for n in sizes:
            result = asyncio.run(run(n, seconds, base_url, server.pid or 0))
            print(
                f"| {result.n} | {result.connected} | {result.underruns} "
                f"| {result.worst_gap_ms:.0f} | {result.received:.2f} "
                f"| {result.client_cpu:.0f} % | {result.emulator_cpu:.0f} % |"
            )
            results.add(f"underruns, {n} WebRTC sessions", result.underruns, "count")
            per_session = result.client_cpu / max(result.connected, 1)
            results.add(f"client CPU per WebRTC session (N={n})", per_session, "% of a core")
    finally:
        parent.send("stop")
        server.join(10)
    results.write(args.json)


if __name__ == "__main__":
    main()
